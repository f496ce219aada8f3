import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rotateIfNeeded } from './log-rotation.js';

function logIn(): string {
  return join(mkdtempSync(join(tmpdir(), 'spotipi-rot-')), 'spotipi.log');
}

describe('rotateIfNeeded', () => {
  it('leaves a log under the limit alone, and a missing log is no error', () => {
    const path = logIn();
    expect(rotateIfNeeded(path, { maxBytes: 10, keep: 2 })).toBe(false);
    writeFileSync(path, '123456789');
    expect(rotateIfNeeded(path, { maxBytes: 10, keep: 2 })).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('123456789');
  });

  it('shifts old files up, keeps at most `keep`, and empties the live file in place', () => {
    const path = logIn();
    for (const round of ['a', 'b', 'c']) {
      writeFileSync(path, `${round.repeat(20)}\n`);
      expect(rotateIfNeeded(path, { maxBytes: 10, keep: 2 })).toBe(true);
    }
    expect(statSync(path).size).toBe(0);
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(`${'c'.repeat(20)}\n`);
    expect(readFileSync(`${path}.2`, 'utf8')).toBe(`${'b'.repeat(20)}\n`);
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it("keeps an O_APPEND writer (the server's stdout) writing to the live file after rotation", () => {
    const path = logIn();
    const fd = openSync(path, 'a');
    writeSync(fd, 'before rotation, long enough to rotate\n');
    rotateIfNeeded(path, { maxBytes: 10, keep: 1 });
    writeSync(fd, 'after\n');
    closeSync(fd);
    // No hole of NUL bytes where the old content was: the writer continues at the new end.
    expect(readFileSync(path, 'utf8')).toBe('after\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('before rotation, long enough to rotate\n');
  });

  it('with keep 0 only truncates', () => {
    const path = logIn();
    writeFileSync(path, 'x'.repeat(50));
    expect(rotateIfNeeded(path, { maxBytes: 10, keep: 0 })).toBe(true);
    expect(statSync(path).size).toBe(0);
    expect(existsSync(`${path}.1`)).toBe(false);
  });
});
