import { rename } from 'node:fs/promises';
import type { Logger } from '../token/types.js';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';

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
  ) {}

  /**
   * Reads the document. A file that does not parse is moved aside (`.corrupt-<time>`) and
   * treated as absent, so one bad file cannot keep the server from starting.
   */
  async load(parse: (raw: unknown) => T): Promise<T | undefined> {
    await removeStaleTempFiles(this.path);
    let raw: unknown;
    try {
      raw = await readJsonFile(this.path);
    } catch (err) {
      await this.quarantine(err);
      return undefined;
    }
    if (raw === undefined) return undefined;
    try {
      return parse(raw);
    } catch (err) {
      await this.quarantine(err);
      return undefined;
    }
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

  private async quarantine(err: unknown): Promise<void> {
    const aside = `${this.path}.corrupt-${Date.now()}`;
    this.logger?.error(
      { path: this.path, movedTo: aside, err: err instanceof Error ? err.message : String(err) },
      'state file unreadable; moved aside and starting empty',
    );
    await rename(this.path, aside).catch(() => {});
  }
}
