import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonStateFile, UnreadableStateFileError } from './state-file.js';
import { RecordingLogger, tempStateDir } from './test-helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
});
afterEach(() => cleanup());

const parseV1 = (raw: unknown) => {
  if ((raw as { version?: unknown }).version !== 1) throw new Error('"version" must be 1');
  return raw as { version: 1 };
};

describe('JsonStateFile', () => {
  it("refuses a file it cannot read when it holds the user's own data, leaving it untouched", async () => {
    const path = join(dir, 'alarms.json');
    await writeFile(path, '{"version": 2}');
    const logger = new RecordingLogger();
    const file = new JsonStateFile(path, logger, 'refuse');
    const err = await file.load(parseV1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableStateFileError);
    expect((err as Error).message).toMatch(
      /alarms\.json cannot be read safely: "version" must be 1\. It was left untouched/,
    );
    expect(await readFile(path, 'utf8')).toBe('{"version": 2}');
    expect(await readdir(dir)).toEqual(['alarms.json']);

    await writeFile(path, 'not json');
    await expect(file.load(parseV1)).rejects.toThrow(/it is not valid JSON/);
  });

  it('moves a broken cache aside and starts empty (the default)', async () => {
    const path = join(dir, 'devices.json');
    await writeFile(path, 'not json');
    const file = new JsonStateFile(path, new RecordingLogger());
    expect(await file.load(parseV1)).toBeUndefined();
    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^devices\.json\.corrupt-\d+$/);
  });

  it('reads nothing from a missing file, under either rule', async () => {
    expect(await new JsonStateFile(join(dir, 'a.json'), undefined, 'refuse').load(parseV1)).toBeUndefined();
    expect(await new JsonStateFile(join(dir, 'b.json')).load(parseV1)).toBeUndefined();
  });
});
