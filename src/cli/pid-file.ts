import { rm } from 'node:fs/promises';
import * as z from 'zod';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';

const pidRecordSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  /** From /proc/<pid>/stat; with the pid it identifies the process even after pid reuse. */
  startTicks: z.number().int().nonnegative().optional(),
  startedAt: z.string(),
  url: z.string(),
  host: z.string(),
  port: z.number().int(),
  /** The script the server runs (dist/cli/main.js); its command line must mention it. */
  entry: z.string(),
  logFile: z.string(),
});

/** What `spotipi start` records about the server it launched. */
export type PidRecord = z.infer<typeof pidRecordSchema>;

/** The pid file could not be parsed; the manager treats it as stale rather than guessing. */
export class CorruptPidFileError extends Error {
  override name = 'CorruptPidFileError';
}

/** Reads the pid file; undefined when there is none. Throws CorruptPidFileError on bad content. */
export async function readPidFile(path: string): Promise<PidRecord | undefined> {
  let raw: unknown;
  try {
    raw = await readJsonFile(path);
  } catch (err) {
    throw new CorruptPidFileError(`pid file ${path} is unreadable: ${(err as Error).message}`);
  }
  if (raw === undefined) return undefined;
  const parsed = pidRecordSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptPidFileError(`pid file ${path} has unexpected content`);
  return parsed.data;
}

/** Writes the pid file atomically (readers see the old or the new record, never half). */
export async function writePidFile(path: string, record: PidRecord): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the pid file if it is there. */
export async function removePidFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
