import { createHash, randomBytes } from 'node:crypto';

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

const VERIFIER_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** A random code verifier of `length` (43..128) unreserved characters. */
export function createCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new RangeError('PKCE code verifier length must be an integer between 43 and 128');
  }
  const bytes = randomBytes(length);
  let out = '';
  // 256 % 66 != 0, so reject the top values to keep the distribution uniform.
  const limit = 256 - (256 % VERIFIER_CHARS.length);
  let i = 0;
  while (out.length < length) {
    if (i >= bytes.length) {
      bytes.set(randomBytes(length));
      i = 0;
    }
    const b = bytes[i++]!;
    if (b < limit) out += VERIFIER_CHARS[b % VERIFIER_CHARS.length];
  }
  return out;
}

/** The S256 code challenge of a verifier: base64url(sha256(verifier)) without padding. */
export function codeChallengeS256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

/** A fresh verifier and its challenge. */
export function createPkcePair(length = 64): PkcePair {
  const codeVerifier = createCodeVerifier(length);
  return { codeVerifier, codeChallenge: codeChallengeS256(codeVerifier), codeChallengeMethod: 'S256' };
}

/** An unguessable OAuth `state` value (128 bits, base64url). */
export function createState(): string {
  return randomBytes(16).toString('base64url');
}
