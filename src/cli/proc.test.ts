import { describe, expect, it } from 'vitest';
import { parseProcStat, readCmdline, readProcStat, readRssBytes } from './proc.js';

describe('parseProcStat', () => {
  it('reads state, CPU ticks and start ticks even when the command name holds spaces and parentheses', () => {
    const fields = ['S', '1', '2', '3', '0', '-1', '4194560', '100', '0', '0', '0', '120', '30'];
    // cutime cstime priority nice num_threads itrealvalue starttime vsize rss
    const rest = ['20', '0', '20', '0', '1', '0', '98765', '1000', '50'];
    const text = `4321 (evil ) name) ${[...fields, ...rest].join(' ')}\n`;
    expect(parseProcStat(text)).toEqual({
      pid: 4321,
      comm: 'evil ) name',
      state: 'S',
      cpuTicks: 150,
      startTicks: 98765,
    });
  });

  it('returns undefined for text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1')).toBeUndefined();
  });
});

describe('live /proc readers', () => {
  it('describe this very process', () => {
    const stat = readProcStat(process.pid);
    expect(stat?.pid).toBe(process.pid);
    expect(stat?.startTicks).toBeGreaterThan(0);
    expect(readCmdline(process.pid)?.[0]).toContain('node');
    expect(readRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
  });

  it('return undefined for a pid that does not exist', () => {
    // Above the kernel's pid_max ceiling (2^22), so it can never be a real process.
    expect(readProcStat(5_000_000)).toBeUndefined();
    expect(readCmdline(5_000_000)).toBeUndefined();
    expect(readRssBytes(5_000_000)).toBeUndefined();
  });
});
