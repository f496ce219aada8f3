/** prom-client's per-metric modules (no types of their own): each registers its metrics on a registry. */
declare module 'prom-client/lib/metrics/*' {
  import type { Registry } from 'prom-client';

  const register: (registry: Registry, config?: { prefix?: string }) => void;
  export default register;
}
