import type { FaultKind, FaultSpec } from './types.js';

const KINDS: readonly FaultKind[] = [
  'status',
  'rate_limit',
  'invalid_grant',
  'invalid_client',
  'delay',
  'reset',
  'malformed',
  'missing_fields',
  'unauthorized',
];

interface Pending {
  spec: FaultSpec;
  remaining: number;
}

/** Checks a fault spec (from code or the admin route); returns the problem and the field it is in. */
export function validateFault(input: unknown): { spec: FaultSpec } | { message: string; field: string } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { message: 'fault must be a JSON object', field: 'body' };
  }
  const f = input as Record<string, unknown>;
  const known = new Set([
    'target',
    'kind',
    'count',
    'status',
    'retryAfterSec',
    'delayMs',
    'method',
    'pathPrefix',
  ]);
  for (const key of Object.keys(f))
    if (!known.has(key)) return { message: `unknown field ${key}`, field: key };
  if (f.target !== 'token' && f.target !== 'api')
    return { message: 'target must be "token" or "api"', field: 'target' };
  if (typeof f.kind !== 'string' || !KINDS.includes(f.kind as FaultKind)) {
    return { message: `kind must be one of ${KINDS.join(', ')}`, field: 'kind' };
  }
  const int = (key: string, min: number, max: number) =>
    f[key] === undefined ||
    (Number.isInteger(f[key]) && (f[key] as number) >= min && (f[key] as number) <= max);
  if (!int('count', 1, 1_000_000)) return { message: 'count must be an integer >= 1', field: 'count' };
  if (!int('status', 400, 599))
    return { message: 'status must be an HTTP error status (400-599)', field: 'status' };
  if (!int('retryAfterSec', 0, 86_400))
    return { message: 'retryAfterSec must be 0..86400', field: 'retryAfterSec' };
  if (!int('delayMs', 0, 600_000)) return { message: 'delayMs must be 0..600000', field: 'delayMs' };
  if (f.method !== undefined && typeof f.method !== 'string')
    return { message: 'method must be a string', field: 'method' };
  if (f.pathPrefix !== undefined && typeof f.pathPrefix !== 'string') {
    return { message: 'pathPrefix must be a string', field: 'pathPrefix' };
  }
  return { spec: f as unknown as FaultSpec };
}

/** Faults waiting for their next matching requests, oldest first. */
export class FaultQueue {
  private pending: Pending[] = [];

  add(spec: FaultSpec): void {
    const checked = validateFault(spec);
    if ('message' in checked) throw new TypeError(`invalid fault: ${checked.message}`);
    this.pending.push({ spec: { ...spec }, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.pending = [];
  }

  /** Requests the pending faults will still hit. */
  size(): number {
    return this.pending.reduce((n, p) => n + p.remaining, 0);
  }

  /** Takes the fault for this request, if one matches. */
  take(target: 'token' | 'api', method: string, path: string): FaultSpec | undefined {
    const index = this.pending.findIndex(
      (p) =>
        p.spec.target === target &&
        (!p.spec.method || p.spec.method.toUpperCase() === method) &&
        (!p.spec.pathPrefix || path.startsWith(p.spec.pathPrefix)),
    );
    const hit = this.pending[index];
    if (!hit) return undefined;
    if (--hit.remaining <= 0) this.pending.splice(index, 1);
    return hit.spec;
  }
}
