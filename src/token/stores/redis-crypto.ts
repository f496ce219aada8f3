import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'gcm1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Parses a 32-byte AES-256 key given as 64 hex characters or base64 (standard or url-safe).
 * Throws a message that names the problem but never echoes the key.
 */
export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new Error('Redis encryption key must be 32 bytes, given as 64 hex characters or base64');
}

/** In a key list, this entry stands for "no encryption": write plain text (first) or read it (later). */
export const PLAINTEXT_KEY = 'plaintext';

/**
 * Parses `SPOTIPI_REDIS_KEY`: one key, or a comma-separated list for a rollout or rotation. The
 * first entry writes, every entry reads. `plaintext` as an entry means no encryption (undefined
 * here), so a fleet can move from plain text to a key, or from one key to another, one restart at
 * a time. Throws (never echoing a key) when an entry is not a key.
 */
export function parseEncryptionKeyList(text: string): Array<Buffer | undefined> {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) throw new Error('Redis encryption key list is empty');
  return entries.map((e, i) => {
    if (e.toLowerCase() === PLAINTEXT_KEY) return undefined;
    try {
      return parseEncryptionKey(e);
    } catch {
      throw new Error(
        `Redis encryption key ${i + 1} of ${entries.length} must be 32 bytes, given as 64 hex characters or base64, or "${PLAINTEXT_KEY}"`,
      );
    }
  });
}

/**
 * AES-256-GCM sealing of token fields at rest. The additional data binds each ciphertext to
 * its Redis key and field, so a value copied to another field or key fails to open.
 */
export class FieldCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('Redis encryption key must be 32 bytes');
  }

  /** Encrypts `plain` for `context` (key name + field); output is ASCII-safe. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Decrypts a value from `seal`; throws when it was not sealed with this key for this context. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('value is not encrypted');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }

  /** True when `value` looks like the output of `seal` (used to spot plaintext after enabling a key). */
  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }
}
