/**
 * `npm run bench`: runs every benchmark, each in its own process, and rewrites BENCHMARKS.md.
 *
 * Sections come from two kinds of scripts:
 * - this folder's benches (hot-path, herd, day, http) print their markdown section on stdout;
 * - bench/token.bench.ts and bench/fleet.bench.ts (owned by the token and fleet engineers) either
 *   print markdown `## ` sections on stdout, taken as they are, or else rewrite their section of
 *   BENCHMARKS.md themselves, and the `## ` sections that changed are kept verbatim; plain output
 *   is kept in a code block under a heading naming the script.
 *
 * Flags: --only a,b / --skip a,b (hot-path, herd, day, http, footprint, token, fleet, alarm), --no-build, --quick
 * (small sizes, one run each: a smoke test of the whole pipeline, not figures to publish), and any
 * bench's own flags (--runs, --sizes, --duration, ...), passed to all of ours.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineFacts, msSince, parseFlags, progress } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(root, 'BENCHMARKS.md');

interface Bench {
  id: string;
  script: string;
  /** Ours print exactly one section; theirs follow the rules in this file's comment. */
  owner: 'suite' | 'other';
  quickArgs: string[];
}

const BENCHES: Bench[] = [
  {
    id: 'hot-path',
    script: 'bench/hot-path.ts',
    owner: 'suite',
    quickArgs: ['--runs', '1', '--ops', '20000', '--latency-ops', '5000'],
  },
  {
    id: 'herd',
    script: 'bench/herd.ts',
    owner: 'suite',
    quickArgs: ['--runs', '1', '--sizes', '1000', '--latency-ms', '20'],
  },
  { id: 'day', script: 'bench/day.ts', owner: 'suite', quickArgs: ['--runs', '1', '--hours', '2'] },
  { id: 'http', script: 'bench/http.ts', owner: 'suite', quickArgs: ['--runs', '1', '--duration', '2'] },
  { id: 'footprint', script: 'bench/footprint.ts', owner: 'suite', quickArgs: ['--quick'] },
  { id: 'token', script: 'bench/token.bench.ts', owner: 'other', quickArgs: [] },
  { id: 'fleet', script: 'bench/fleet.bench.ts', owner: 'other', quickArgs: [] },
  { id: 'alarm', script: 'bench/alarm-wake.bench.ts', owner: 'suite', quickArgs: [] },
];

interface ParsedDoc {
  head: string;
  sections: { title: string; text: string }[];
}

/** Splits markdown into the text before the first `## ` heading and its `## ` sections. */
function splitSections(markdown: string): ParsedDoc {
  const parts = markdown.split(/^(?=## )/m);
  const head = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return {
    head,
    sections: parts.map((text) => ({
      title: /^## (.*)$/m.exec(text)?.[1]?.trim() ?? '',
      text: `${text.trim()}\n`,
    })),
  };
}

function readOutput(): string {
  return existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
}

function runScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      process.stderr.write(c);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, ms: msSince(start) }));
  });
}

function build(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build', '--silent'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** The sections another engineer's bench produced, by the rules in this file's comment. */
function foreignSections(bench: Bench, before: string, stdout: string): string[] {
  const printed = splitSections(stdout).sections;
  if (printed.length > 0) return printed.map((s) => s.text);
  const after = readOutput();
  if (after !== before) {
    const old = new Map(splitSections(before).sections.map((s) => [s.title, s.text]));
    const changed = splitSections(after).sections.filter(
      (s) => old.get(s.title) !== s.text && !SUITE_TITLES.has(s.title),
    );
    if (changed.length > 0) return changed.map((s) => s.text);
  }
  return [`## Output of ${bench.script}\n\n\`\`\`\n${stdout.trim()}\n\`\`\`\n`];
}

/** Headings our benches use (so a foreign bench's rewrite of the file is not mistaken for theirs). */
const SUITE_TITLES = new Set([
  'Hot path: getAccessToken() on a valid token',
  'Herd: concurrent callers on an expired token',
  "A day: 24 hours of the seed's workload",
  'HTTP: the server under autocannon',
  'Footprint on a Raspberry Pi: memory, idle CPU, start-up, the page',
  'Alarm wake-up: device behaviours',
  'How to reproduce',
]);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = parseFlags(argv);
  const only = flags.get('only')?.split(',');
  const skip = new Set(flags.get('skip')?.split(',') ?? []);
  const quick = flags.has('quick');
  const passthrough = argv.filter((a, i) => {
    const name = a.startsWith('--')
      ? a.slice(2).split('=')[0]
      : argv[i - 1]?.startsWith('--')
        ? argv[i - 1]!.slice(2)
        : '';
    return !['only', 'skip', 'quick', 'no-build'].includes(name ?? '');
  });
  const selected = BENCHES.filter((b) => (only ? only.includes(b.id) : !skip.has(b.id)));
  const started = new Date();
  const load = loadavg();
  const total = process.hrtime.bigint();

  if (selected.some((b) => b.id === 'http' || b.id === 'footprint') && !flags.has('no-build')) {
    progress('building dist/ for the HTTP and footprint benches (npm run build)');
    const code = await build();
    if (code !== 0) progress(`npm run build exited with ${code}; the HTTP bench uses whatever dist/ holds`);
  }

  const previous = readOutput();
  const sections: string[] = [];
  const timings: string[] = [];
  for (const bench of selected) {
    if (!existsSync(join(root, bench.script))) {
      sections.push(`## ${bench.id}: not run\n\n\`${bench.script}\` does not exist yet.\n`);
      continue;
    }
    progress(`--- ${bench.script}`);
    const before = readOutput();
    const args = bench.owner === 'suite' ? [...(quick ? bench.quickArgs : []), ...passthrough] : [];
    const result = await runScript(bench.script, args);
    timings.push(`${bench.id} ${Math.round(result.ms / 1000)} s`);
    if (result.code !== 0) {
      const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
      sections.push(
        `## ${bench.id}: failed\n\n\`${bench.script}\` exited with ${result.code}:\n\n\`\`\`\n${tail}\n\`\`\`\n`,
      );
    } else if (bench.owner === 'suite') {
      sections.push(
        result.stdout.trim().startsWith('## ')
          ? `${result.stdout.trim()}\n`
          : `## ${bench.id}\n\n${result.stdout}`,
      );
    } else {
      sections.push(...foreignSections(bench, before, result.stdout));
    }
  }
  // Sections of benches not selected this time are kept from the previous file.
  const produced = new Set(sections.map((s) => /^## (.*)$/m.exec(s)?.[1]?.trim()));
  const partial = selected.length < BENCHES.length;
  const kept = partial
    ? splitSections(previous).sections.filter(
        (s) =>
          !produced.has(s.title) &&
          s.title !== 'How to reproduce' &&
          !/^[a-z-]+: (not run|failed)$/.test(s.title),
      )
    : [];
  const keptNote = kept.length > 0;

  const m = machineFacts();
  const header = [
    '# SpotiPi benchmarks',
    '',
    '_Generated by `npm run bench` (bench/run.ts); do not edit by hand — rerun it._',
    '',
    `- Date: ${started.toISOString()}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, ${m.os}`,
    `- Node.js: ${m.node}`,
    `- Load average when the run started: ${load.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min; figures taken on a busy machine are lower and noisier)`,
    `- Benches run: ${selected.map((b) => b.id).join(', ')}${quick ? ' (--quick: smoke sizes, not figures to publish)' : ''}; wall time ${Math.round(msSince(total) / 1000)} s (${timings.join(', ')})`,
    ...(keptNote ? ['- Sections of benches not run this time are kept from the previous file.'] : []),
    '',
    'Each figure is the median of several runs with the range (min–max) in parentheses; the number of runs is given per section.',
    '',
  ].join('\n');
  const reproduce = [
    '## How to reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench                         # everything, about 5-10 minutes on 2 cores; rewrites BENCHMARKS.md',
    'npm run bench -- --only herd,day      # some benches (hot-path, herd, day, http, footprint, token, fleet, alarm)',
    'npm run bench -- --quick              # smoke sizes, one run each',
    'npx tsx bench/herd.ts --sizes 1000,10000 --runs 5   # one bench alone; prints its section',
    '```',
    '',
    'Flags of our benches: hot-path `--runs --ops --latency-ops`; herd `--sizes --runs --latency-ms --timeout-ms --sdk-max --sdk-runs`; day `--runs --hours`; http `--runs --duration --connections`; footprint `--runs --idle-from --idle-to` (these two need `npm run build`; the runner builds unless `--no-build`).',
    '',
  ].join('\n');
  writeFileSync(OUTPUT, [header, ...sections, ...kept.map((s) => s.text), reproduce].join('\n'));
  progress(`wrote ${OUTPUT}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
