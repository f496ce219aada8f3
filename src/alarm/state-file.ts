import { rename } from 'node:fs/promises';
import type { Logger } from '../token/types.js';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';

/**
 * A state file exists but cannot be read safely (not JSON, a newer version, content that does
 * not validate). The server refuses to start on it (`spotipi serve` exits with code 2) instead of
 * starting empty and overwriting the user's alarms at the next save.
 */
export class UnreadableStateFileError extends Error {
  override name = 'UnreadableStateFileError';
  constructor(
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${path} cannot be read safely: ${problem}. It was left untouched so that nothing in it is lost or overwritten; ` +
        'fix or move the file (or run the SpotiPi version that wrote it) and try again',
      options,
    );
  }
}

/**
 * One small JSON document on disk, replaced atomically on every save.
 *
 * Why a JSON file and not SQLite: the state is a handful of alarms plus a timer, written only
 * when something changes (an edit, a firing). One atomic rename per change is the fewest
 * SD-card writes possible, needs no native module (better-sqlite3 must compile on a Pi), and
 * `writeFileAtomic` already guarantees that a power cut leaves the old or the new file whole.
 */
export class JsonStateFile<T> {
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private pending: T | undefined;

  constructor(
    readonly path: string,
    private readonly logger?: Logger,
    /**
     * What to do with a file that is not JSON or that `parse` rejects. `refuse` (the user's own
     * data: alarms, sleep settings): throw UnreadableStateFileError and leave the file exactly as
     * it is, since starting empty would overwrite it at the next save. `move-aside` (default; a
     * cache that rebuilds itself): rename it to `.corrupt-<time>` and start empty.
     */
    private readonly ifUnreadable: 'refuse' | 'move-aside' = 'move-aside',
  ) {}

  /** Reads the document; undefined when there is none (or it was moved aside, see the constructor). */
  async load<R = T>(parse: (raw: unknown) => R): Promise<R | undefined> {
    await removeStaleTempFiles(this.path);
    let raw: unknown;
    try {
      raw = await readJsonFile(this.path);
    } catch (err) {
      const problem = err instanceof SyntaxError ? `it is not valid JSON (${err.message})` : describe(err);
      return this.unreadable(problem, err);
    }
    if (raw === undefined) return undefined;
    try {
      return parse(raw);
    } catch (err) {
      return this.unreadable(describe(err), err);
    }
  }

  private async unreadable(problem: string, cause: unknown): Promise<undefined> {
    if (this.ifUnreadable === 'refuse') {
      this.logger?.error({ path: this.path, problem }, 'state file cannot be read safely; left untouched');
      throw new UnreadableStateFileError(this.path, problem, { cause });
    }
    const aside = `${this.path}.corrupt-${Date.now()}`;
    this.logger?.error(
      { path: this.path, movedTo: aside, problem },
      'state file unreadable; moved aside and starting empty',
    );
    await rename(this.path, aside).catch(() => {});
    return undefined;
  }

  /** Queues `doc` for writing; writes are serialised and coalesced (only the newest is written). */
  save(doc: T): Promise<void> {
    this.pending = doc;
    if (!this.queued) {
      const queued = this.writing
        .catch(() => {})
        .then(async () => {
          this.queued = undefined;
          await writeFileAtomic(this.path, `${JSON.stringify(this.pending, null, 2)}\n`);
        });
      this.queued = queued;
      this.writing = queued;
    }
    return this.queued;
  }

  /** Resolves once every queued save has reached the disk. */
  flush(): Promise<void> {
    return this.writing.catch(() => {});
  }
}

/** The problem in words: a zod error names its first issue's field. */
function describe(err: unknown): string {
  const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  const first = Array.isArray(issues) ? issues[0] : undefined;
  if (first) return `"${first.path.map(String).join('.')}" is invalid: ${first.message}`;
  return err instanceof Error ? err.message : String(err);
}
