import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { type LogLine, RecordingLogger } from '../token/test-helpers/recording-logger.js';

/** A fresh temporary state dir and its cleanup. */
export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spotipi-alarm-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
