import { chmod, readFile, stat } from 'node:fs/promises';
import { removeStaleTempFiles, writeFileAtomic } from '../../util/atomic-file.js';
import { StoreReadError } from '../errors.js';
import type { Logger, StoreHealth, TokenRecord, TokenStore } from '../types.js';
import { withFileLock } from './file-lock.js';
import { nextVersion, withoutAccessToken } from './memory-store.js';

/** Version of the file layout; a file with another version is ignored (with a warning). */
export const TOKEN_FILE_VERSION = 1;

/** Options of a {@link FileStore}. */
export interface FileStoreOptions {
  /** Where warnings about unreadable files go. Default: nowhere. */
  logger?: Logger;
  /** A save waits this long for another process's lock on the file before failing. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** How the file is read (tests inject failures such as EACCES, which root never meets). Default: fs.readFile. */
  readFile?: (path: string) => Promise<string>;
}

interface TokenFile {
  version: number;
  record: TokenRecord;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const STRING_FIELDS = ['accessToken', 'refreshToken', 'scope', 'seedFingerprint', 'grantId'] as const;
const NUMBER_FIELDS = [
  'expiresAt',
  'obtainedAt',
  'expiresIn',
  'version',
  'authorizedAt',
  'disconnectedAt',
] as const;
const BOOLEAN_FIELDS = ['authorizedAtEstimated'] as const;
const ACCESS_FIELDS = ['accessToken', 'expiresAt', 'obtainedAt', 'expiresIn', 'scope'] as const;

/**
 * Keeps the record in a JSON file (`{ "version": 1, "record": {...} }`, mode 0600) so a
 * restarted process reuses its token and a rotated refresh token survives. Writes are atomic
 * (temp file, fsync, rename), serialized in this process and made under the advisory lock file
 * `<path>.lock` across processes, as compare-and-set on the record's version: two processes on
 * one file behave like a fleet. Only a missing file (ENOENT) is empty; a file that cannot be
 * read (EACCES, EIO, a newer layout) throws `StoreReadError` and is never written over. A corrupt
 * or truncated one (not JSON) holds nothing to save, is logged and counts as empty.
 */
export class FileStore implements TokenStore {
  readonly kind = 'file';
  readonly versioned = true;
  readonly lockPath: string;
  private readonly logger: Logger;
  private readonly lockTimeoutMs: number;
  private readonly readText: (path: string) => Promise<string>;
  private lastReadError: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastWriteError: string | undefined;
  private cleaned = false;

  /** Uses the file at `path` (created on first save, with its directory). */
  constructor(
    readonly path: string,
    options: FileStoreOptions = {},
  ) {
    this.logger = options.logger ?? noopLogger;
    this.lockPath = `${path}.lock`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5000;
    this.readText = options.readFile ?? ((p) => readFile(p, 'utf8'));
  }

  /** Reads the record; undefined when the file is missing or corrupt (logged); throws when unreadable. */
  async load(): Promise<TokenRecord | undefined> {
    await this.queue.catch(() => {});
    if (!this.cleaned) {
      this.cleaned = true;
      const removed = await removeStaleTempFiles(this.path);
      if (removed > 0) this.logger.info({ removed }, 'removed temp files left by an interrupted write');
    }
    return this.read();
  }

  /**
   * Replaces the record atomically if the file still holds `expectedVersion` (0: no record),
   * under the lock file; throws StaleWriteError when it does not, StoreReadError when it cannot
   * be read. Returns the new version.
   */
  save(record: TokenRecord, expectedVersion?: number): Promise<number> {
    return this.enqueue(async () => {
      const stored = await this.read();
      const version = nextVersion(stored?.version ?? 0, expectedVersion);
      await this.write({ ...record, version });
      return version;
    });
  }

  /** Drops the stored access token (keeping the refresh token) if it is still `accessToken`. */
  invalidate(accessToken: string): Promise<boolean> {
    return this.enqueue(async () => {
      const record = await this.read();
      if (!record || record.accessToken !== accessToken) return false;
      await this.write({ ...withoutAccessToken(record), version: (record.version ?? 0) + 1 });
      return true;
    });
  }

  /** Degraded while the file cannot be read or the last write failed. */
  health(): StoreHealth {
    const reason = this.lastReadError ?? this.lastWriteError;
    return reason === undefined ? { state: 'ok' } : { state: 'degraded', reason };
  }

  /** Runs `task` after this store's earlier calls, holding the lock file. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const locked = () => withFileLock(this.lockPath, task, { timeoutMs: this.lockTimeoutMs });
    const run = this.queue.then(locked, locked);
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
    let text: string;
    try {
      text = await this.readText(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.lastReadError = undefined;
        return undefined;
      }
      return this.unreadable(code ?? (err instanceof Error ? err.message : String(err)));
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      this.lastReadError = undefined;
      this.logger.warn(
        { path: this.path, err: 'invalid JSON' },
        'token file is not JSON; treating it as empty',
      );
      return undefined;
    }
    if (isObject(data) && typeof data.version === 'number' && data.version > TOKEN_FILE_VERSION)
      return this.unreadable(`file layout version ${data.version} is newer than this SpotiPi reads`);
    this.lastReadError = undefined;
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

  /** Logs and throws: the file exists but cannot be read, so it must not be written over. */
  private unreadable(why: string): never {
    const reason = `token file ${this.path} cannot be read (${why}); it is left alone`;
    if (this.lastReadError !== reason)
      this.logger.error({ path: this.path, err: why }, 'token file cannot be read; not overwriting it');
    this.lastReadError = reason;
    throw new StoreReadError(reason);
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
  for (const key of BOOLEAN_FIELDS) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'boolean') record[key] = value;
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
  for (const key of BOOLEAN_FIELDS) if (record[key] !== undefined) out[key] = record[key];
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
