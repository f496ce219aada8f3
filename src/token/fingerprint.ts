import { createHash } from 'node:crypto';

/** A short, non-reversible identifier for a secret (first 8 hex chars of its SHA-256), safe to log. */
export function fingerprint(secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}
