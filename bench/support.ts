/** Shared helpers of the benchmarks: statistics, formatting, flags and machine facts. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of a list, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median and range of several runs of one figure. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Summarises the runs of one figure. */
export function figure(values: readonly number[]): Figure {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** A number with sensible precision and thousands separators. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return String(value);
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** "median (min–max)" of a figure; the range is left out when all runs agree. */
export function fmtFigure(f: Figure, digits?: number, unit = ''): string {
  const m = `${fmt(f.median, digits)}${unit}`;
  if (f.runs < 2 || f.min === f.max) return m;
  return `${m} (${fmt(f.min, digits)}–${fmt(f.max, digits)})`;
}

/** A markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A section of BENCHMARKS.md written by one benchmark. */
export interface Section {
  /** The `## ` heading, without the hashes. */
  title: string;
  body: string;
}

/** Renders a section as markdown. */
export function renderSection(section: Section): string {
  return `## ${section.title}\n\n${section.body.trim()}\n`;
}

/** Facts about the machine the figures come from. */
export function machineFacts(): { cpu: string; cores: number; ramGb: number; node: string; os: string } {
  const list = cpus();
  let os = `${process.platform} ${process.arch}`;
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1];
    if (pretty) os = `${pretty} (${process.arch})`;
  } catch {
    // not Linux: platform and arch are enough
  }
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os,
  };
}

/** Reads `--name value` / `--name=value` flags (and bare `--flag` as "true"). */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(arg.slice(2), argv[++i]!);
    else flags.set(arg.slice(2), 'true');
  }
  return flags;
}

/** A positive integer flag. */
export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}

/** A comma-separated list of positive integers. */
export function intListFlag(flags: Map<string, string>, name: string, fallback: number[]): number[] {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim().replace(/k$/i, '000')));
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`--${name} must be a comma-separated list of positive integers, got ${raw}`);
  return list;
}

/** Elapsed milliseconds since `start` (from `process.hrtime.bigint()`). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Prints progress to stderr (stdout carries the markdown). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Lets pending I/O and timers run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** When `moduleUrl` is the entry script: runs the bench with the command-line flags and prints its markdown. */
export function runIfMain(moduleUrl: string, run: (flags: Map<string, string>) => Promise<Section>): void {
  const entry = process.argv[1];
  if (!entry || !moduleUrl.endsWith(entry.replace(/^.*\/bench\//, '/bench/'))) return;
  run(parseFlags(process.argv.slice(2))).then(
    (section) => {
      process.stdout.write(renderSection(section));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
