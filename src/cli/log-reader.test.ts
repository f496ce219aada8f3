import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followLog, readLastLines } from './log-reader.js';

function logIn(): string {
  return join(mkdtempSync(join(tmpdir(), 'spotipi-read-')), 'spotipi.log');
}

describe('readLastLines', () => {
  it('returns the last lines of a file larger than one read chunk, with or without a final newline', async () => {
    const path = logIn();
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(await readLastLines(path, 3)).toEqual(['line 19997', 'line 19998', 'line 19999']);
    appendFileSync(path, 'partial');
    expect(await readLastLines(path, 2)).toEqual(['line 19999', 'partial']);
  });

  it('reaches into the rotated file when the live one is short, and handles missing files', async () => {
    const path = logIn();
    expect(await readLastLines(path, 5)).toEqual([]);
    writeFileSync(`${path}.1`, 'a\nb\n');
    writeFileSync(path, 'c\n');
    expect(await readLastLines(path, 5)).toEqual(['a', 'b', 'c']);
    expect(await readLastLines(path, 0)).toEqual([]);
  });
});

describe('followLog', () => {
  it('prints appended text, starts over after truncation or replacement, and waits for a missing file', async () => {
    const path = logIn();
    writeFileSync(path, 'already there\n');
    const seen: string[] = [];
    const controller = new AbortController();
    const until = async (text: string) => {
      for (let i = 0; i < 200 && !seen.join('').includes(text); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(seen.join('')).toContain(text);
    };
    const following = followLog(path, (chunk) => seen.push(chunk.toString()), {
      signal: controller.signal,
      pollMs: 10,
    });
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(path, 'one\n');
    await until('one\n');
    truncateSync(path, 0);
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(path, 'two\n');
    await until('two\n');
    renameSync(path, `${path}.1`);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(path, 'three\n');
    await until('three\n');
    controller.abort();
    await following;
    expect(seen.join('')).toBe('one\ntwo\nthree\n');
  });
});
