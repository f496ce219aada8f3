import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readProcStat } from './proc.js';
import { checkPidRecord } from './process-identity.js';

describe('checkPidRecord', () => {
  const self = readProcStat(process.pid)!;
  const entry = process.argv[1]!;

  it('recognises the recorded process by pid, start time and entry script', () => {
    expect(checkPidRecord({ pid: process.pid, startTicks: self.startTicks, entry }).kind).toBe('running');
  });

  it('calls a live pid with another start time reused, and one not running our entry reused', () => {
    expect(checkPidRecord({ pid: process.pid, startTicks: self.startTicks + 1, entry })).toMatchObject({
      kind: 'reused',
    });
    expect(
      checkPidRecord({ pid: process.pid, startTicks: self.startTicks, entry: '/nowhere/dist/cli/main.js' }),
    ).toMatchObject({ kind: 'reused', command: expect.stringContaining('node') });
  });

  it('calls a pid that has exited gone', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(checkPidRecord({ pid: child.pid!, startTicks: 1, entry }).kind).toBe('gone');
  });
});
