import { chmod, stat } from 'node:fs/promises';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from '../../util/atomic-file.js';
import type { Logger, StoreHealth, TokenRecord, TokenStore } from '../types.js';
import { withoutAccessToken } from './memory-store.js';

/** Version of the file layout; a file with another version is ignored (with a warning). */
export const TOKEN_FILE_VERSION = 1;

/** Options of a {@link FileStore}. */
export interface FileStoreOptions {
  /** Where warnings about unreadable files go. Default: nowhere. */
  logger?: Logger;
}

interface TokenFile {
  version: number;
  record: TokenRecord;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const STRING_FIELDS = ['accessToken', 'refreshToken', 'scope', 'seedFingerprint'] as const;
const NUMBER_FIELDS = ['expiresAt', 'obtainedAt', 'expiresIn'] as const;
const ACCESS_FIELDS = ['accessToken', 'expiresAt', 'obtainedAt', 'expiresIn', 'scope'] as const;

/**
 * Keeps the record in a JSON file (`{ "version": 1, "record": {...} }`, mode 0600) so a
 * restarted process reuses its token and a rotated refresh token survives. Writes are atomic
 * (temp file, fsync, rename) and serialized; a corrupt, truncated or unreadable file is logged
 * and treated as empty, never thrown.
 */
export class FileStore implements TokenStore {
  readonly kind = 'file';
  private readonly logger: Logger;
  private queue: Promise<unknown> = Promise.resolve();
  private lastWriteError: string | undefined;
  private cleaned = false;

  /** Uses the file at `path` (created on first save, with its directory). */
  constructor(
    readonly path: string,
    options: FileStoreOptions = {},
  ) {
    this.logger = options.logger ?? noopLogger;
  }

  /** Reads the record; undefined when the file is missing or unusable (logged). */
  async load(): Promise<TokenRecord | undefined> {
    await this.queue.catch(() => {});
    if (!this.cleaned) {
      this.cleaned = true;
      const removed = await removeStaleTempFiles(this.path);
      if (removed > 0) this.logger.info({ removed }, 'removed temp files left by an interrupted write');
    }
    return this.read();
  }

  /** Replaces the record atomically; rejects when the file cannot be written. */
  save(record: TokenRecord): Promise<void> {
    return this.enqueue(() => this.write(record));
  }

  /** Drops the stored access token (keeping the refresh token) if it is still `accessToken`. */
  invalidate(accessToken: string): Promise<boolean> {
    return this.enqueue(async () => {
      const record = await this.read();
      if (!record || record.accessToken !== accessToken) return false;
      await this.write(withoutAccessToken(record));
      return true;
    });
  }

  /** Degraded while the last write failed. */
  health(): StoreHealth {
    return this.lastWriteError === undefined
      ? { state: 'ok' }
      : { state: 'degraded', reason: this.lastWriteError };
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(record: TokenRecord): Promise<void> {
    const file: TokenFile = { version: TOKEN_FILE_VERSION, record: clean(record) };
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      this.lastWriteError = undefined;
    } catch (err) {
      this.lastWriteError = `write failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      throw err;
    }
  }

  private async read(): Promise<TokenRecord | undefined> {
    let data: unknown;
    try {
      data = await readJsonFile(this.path);
    } catch (err) {
      this.logger.warn(
        { path: this.path, err: describeReadError(err) },
        'token file is unreadable or not JSON; treating it as empty',
      );
      return undefined;
    }
    if (data === undefined) return undefined;
    await this.tightenMode();
    const parsed = parseTokenFile(data);
    if (parsed.problem !== undefined) {
      this.logger.warn(
        { path: this.path, problem: parsed.problem },
        parsed.record
          ? 'token file partly invalid; kept its refresh token only'
          : 'token file has an unexpected shape; treating it as empty',
      );
    }
    return parsed.record;
  }

  /** A token file readable by others is made 0600 again. */
  private async tightenMode(): Promise<void> {
    try {
      const info = await stat(this.path);
      if ((info.mode & 0o077) === 0) return;
      await chmod(this.path, 0o600);
      this.logger.warn(
        { path: this.path, mode: (info.mode & 0o777).toString(8) },
        'token file was readable by others; set to 0600',
      );
    } catch {
      // Reading worked; a failed permission fix is not worth failing the load.
    }
  }
}

/** Creates a file store at `path`. */
export function createFileStore(path: string, options: FileStoreOptions = {}): FileStore {
  return new FileStore(path, options);
}

/**
 * Validates a parsed token file. A record whose access-token fields are malformed keeps a valid
 * refresh token (losing it would force a new login).
 */
export function parseTokenFile(data: unknown): { record?: TokenRecord; problem?: string } {
  if (!isObject(data)) return { problem: 'not a JSON object' };
  if (data.version !== TOKEN_FILE_VERSION)
    return { problem: `unsupported version ${JSON.stringify(data.version)}` };
  const raw = data.record;
  if (!isObject(raw)) return { problem: 'record is not an object' };
  const record: TokenRecord = {};
  const bad: string[] = [];
  for (const key of STRING_FIELDS) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && value.length > 0) record[key] = value;
    else bad.push(key);
  }
  for (const key of NUMBER_FIELDS) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isFinite(value)) record[key] = value;
    else bad.push(key);
  }
  if (record.accessToken !== undefined && record.expiresAt === undefined) bad.push('expiresAt (missing)');
  if (bad.length === 0) return { record };
  const salvaged = withoutAccessToken(record);
  const problem = `invalid field(s): ${bad.join(', ')}`;
  if (salvaged.refreshToken === undefined || bad.includes('refreshToken')) return { problem };
  for (const key of ACCESS_FIELDS) delete salvaged[key];
  return { record: salvaged, problem };
}

function clean(record: TokenRecord): TokenRecord {
  const out: TokenRecord = {};
  for (const key of STRING_FIELDS) if (record[key] !== undefined) out[key] = record[key];
  for (const key of NUMBER_FIELDS) if (record[key] !== undefined) out[key] = record[key];
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeReadError(err: unknown): string {
  if (err instanceof SyntaxError) return 'invalid JSON';
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}
