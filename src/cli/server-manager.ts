import { spawn } from 'node:child_process';
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { ensurePrivateDir } from '../util/private-dir.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { readableLogLines } from './log-format.js';
import { readLastLines } from './log-reader.js';
import type { RotationOptions } from './log-rotation.js';
import { serverNodeFlags } from './node-flags.js';
import { CorruptPidFileError, type PidRecord, readPidFile, removePidFile, writePidFile } from './pid-file.js';
import { readProcStat } from './proc.js';
import { checkPidRecord, type PidStatus } from './process-identity.js';
import { getJson, isPortOpen } from './server-client.js';
import type { ManagerSettings } from './settings.js';
import { stateFiles } from './state-files.js';

/** Marks the start of one launch in the log, so failures show only this launch's lines. */
const LAUNCH_MARKER = '--- spotipi start ';

/** The manager's view of the pid file. */
export type ManagedState =
  | { kind: 'none' }
  | { kind: 'running'; record: PidRecord; pid: PidStatus & { kind: 'running' } }
  /** The pid file is left from a server that is gone, or its pid now belongs to another program. */
  | { kind: 'stale'; record: PidRecord | undefined; reason: string };

/** Reads the pid file and checks whether it still names our live server. */
export async function inspectManagedServer(settings: ManagerSettings): Promise<ManagedState> {
  const { pidFile } = stateFiles(settings.stateDir);
  let record: PidRecord | undefined;
  try {
    record = await readPidFile(pidFile);
  } catch (err) {
    if (err instanceof CorruptPidFileError) return { kind: 'stale', record: undefined, reason: err.message };
    throw err;
  }
  if (!record) return { kind: 'none' };
  const pid = checkPidRecord(record);
  if (pid.kind === 'running') return { kind: 'running', record, pid };
  if (pid.kind === 'gone') {
    return { kind: 'stale', record, reason: `the server (pid ${record.pid}) is no longer running` };
  }
  return {
    kind: 'stale',
    record,
    reason: `pid ${record.pid} now belongs to another program (${truncate(pid.command, 80)}); it was not touched`,
  };
}

/** Options of a detached start. */
export interface StartOptions {
  timeoutMs: number;
  rotation: RotationOptions;
  /** Called while waiting (for a progress line); `elapsedMs` since spawn. */
  onWait?: (elapsedMs: number) => void;
}

/** A server `start` brought up. */
export interface StartedServer {
  record: PidRecord;
  mode: string | undefined;
  /** Notes about what the start cleaned up first (stale pid file). */
  notes: string[];
}

/** The server is already running under this state dir; `start` leaves it alone. */
export class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
  constructor(readonly record: PidRecord) {
    super(`SpotiPi is already running (pid ${record.pid}) at ${record.url}`);
  }
}

/**
 * Starts `node <entry> serve` detached, with stdout/stderr appended to the state dir's log, records
 * the pid file, and waits until /healthz answers. On failure the child is stopped, the pid file
 * removed, and a CliError carries the reason and the launch's last log lines. Caller holds the lock.
 */
export async function startDetached(
  ctx: CliContext,
  settings: ManagerSettings,
  options: StartOptions,
): Promise<StartedServer> {
  const files = stateFiles(settings.stateDir);
  const notes: string[] = [];
  const current = await inspectManagedServer(settings);
  if (current.kind === 'running') throw new AlreadyRunningError(current.record);
  if (current.kind === 'stale') {
    await removePidFile(files.pidFile);
    notes.push(`Removed a stale pid file: ${current.reason}.`);
  }
  if (settings.port === 0) {
    throw new CliError('spotipi start needs a fixed PORT (PORT=0 picks a random one); set PORT');
  }
  if (await isPortOpen(settings.host, settings.port)) {
    const health = await getJson(settings.url, '/healthz', { timeoutMs: 1000 });
    const who =
      health.ok && isHealthBody(health.body)
        ? 'a SpotiPi server that this state dir does not manage (started elsewhere or with another SPOTIPI_STATE_DIR)'
        : 'another program';
    throw new CliError(
      `port ${settings.port} on ${settings.host} is already in use by ${who}; stop it or choose another PORT`,
    );
  }

  ensurePrivateDir(settings.stateDir);
  ensurePrivateDir(files.logDir);
  const startedAt = new Date();
  const logFd = openSync(files.logFile, 'a', 0o600);
  // A log file from an older version may be group-readable.
  fchmodSync(logFd, 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    writeSync(logFd, `${LAUNCH_MARKER}${startedAt.toISOString()} ---\n`);
    child = spawn(
      ctx.execPath,
      [
        ...serverNodeFlags(settings.config?.lowPower ?? false),
        ctx.entry,
        '--log-file',
        files.logFile,
        '--log-max-bytes',
        String(options.rotation.maxBytes),
        '--log-keep',
        String(options.rotation.keep),
        'serve',
      ],
      { cwd: ctx.cwd, env: ctx.env, detached: true, stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new CliError(`could not run ${ctx.execPath}: ${(await spawnError).message}`);
  }

  const record: PidRecord = {
    version: 1,
    pid,
    startTicks: readProcStat(pid)?.startTicks,
    startedAt: startedAt.toISOString(),
    url: settings.url,
    host: settings.host,
    port: settings.port,
    entry: ctx.entry,
    logFile: files.logFile,
  };
  await writePidFile(files.pidFile, record);

  const t0 = performance.now();
  let lastProblem = 'no answer yet';
  while (exit === undefined) {
    const elapsed = performance.now() - t0;
    options.onWait?.(elapsed);
    if (elapsed > options.timeoutMs) break;
    const health = await getJson(settings.url, '/healthz', { timeoutMs: 1000 });
    if (health.ok && isHealthBody(health.body)) {
      child.unref();
      return { record, mode: health.body.mode, notes };
    }
    if (!health.ok) lastProblem = health.reason;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // Failed: make sure nothing half-started stays behind, then explain.
  const timedOut = exit === undefined;
  if (timedOut) await terminateChild(child, 2000);
  await removePidFile(files.pidFile);
  const lines = await launchLogLines(files.logFile, 20);
  const why =
    timedOut || exit === undefined
      ? `it did not answer ${settings.url}/healthz within ${options.timeoutMs / 1000} s (${lastProblem}); it was stopped`
      : `${diagnose(lines, settings)}${describeExit(exit)}`;
  throw new CliError(
    `SpotiPi failed to start: ${why}.\n` +
      (lines.length > 0
        ? `Last log lines (${files.logFile}):\n${indent(readableLogLines(lines))}`
        : `The log ${files.logFile} is empty.`),
    // The server's own exit code 2 (bad configuration, unreadable state file) passes through.
    exit?.code === ExitCode.usage ? ExitCode.usage : ExitCode.failure,
  );
}

/** What `stop` did. */
export type StopOutcome =
  | { kind: 'not-running'; note: string | undefined }
  | { kind: 'stopped'; pid: number; afterMs: number; killed: boolean };

/**
 * SIGTERM, wait up to `timeoutMs` for a graceful exit, then SIGKILL; removes the pid file. Only a
 * process that passes the identity check is ever signalled. Caller holds the lock.
 */
export async function stopManaged(settings: ManagerSettings, timeoutMs: number): Promise<StopOutcome> {
  const { pidFile } = stateFiles(settings.stateDir);
  const state = await inspectManagedServer(settings);
  if (state.kind === 'none') return { kind: 'not-running', note: undefined };
  if (state.kind === 'stale') {
    await removePidFile(pidFile);
    return { kind: 'not-running', note: `${state.reason}; removed the stale pid file` };
  }
  const { record } = state;
  const t0 = performance.now();
  signal(record.pid, 'SIGTERM');
  if (await waitForExit(record, timeoutMs)) {
    await removePidFile(pidFile);
    return { kind: 'stopped', pid: record.pid, afterMs: performance.now() - t0, killed: false };
  }
  // Re-check identity right before the hard kill: never SIGKILL a pid that changed hands.
  if (checkPidRecord(record).kind === 'running') signal(record.pid, 'SIGKILL');
  if (!(await waitForExit(record, 5000))) {
    throw new CliError(`pid ${record.pid} did not exit even after SIGKILL; the pid file was kept`);
  }
  await removePidFile(pidFile);
  return { kind: 'stopped', pid: record.pid, afterMs: performance.now() - t0, killed: true };
}

/** SIGTERM our own child, SIGKILL after `graceMs`; resolves once it has exited. */
async function terminateChild(child: ReturnType<typeof spawn>, graceMs: number): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitForExit(record: PidRecord, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (checkPidRecord(record).kind !== 'running') return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The last `count` lines the current (or most recent) launch wrote to the log. */
export async function launchLogLines(logFile: string, count: number): Promise<string[]> {
  const lines = await readLastLines(logFile, 400);
  let from = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]?.startsWith(LAUNCH_MARKER)) {
      from = i + 1;
      break;
    }
  }
  return lines.slice(from).slice(-count);
}

/** A /healthz body that looks like SpotiPi's. */
function isHealthBody(body: unknown): body is { status: string; mode?: string } {
  return (
    typeof body === 'object' && body !== null && typeof (body as { status?: unknown }).status === 'string'
  );
}

/** Names the likely cause from the log of a failed launch. */
function diagnose(lines: string[], settings: ManagerSettings): string {
  const text = lines.join('\n');
  if (/EADDRINUSE|already in use/.test(text))
    return `port ${settings.port} on ${settings.host} is already in use; `;
  if (/EADDRNOTAVAIL/.test(text)) return `HOST ${settings.host} is not an address of this machine; `;
  if (/EACCES/.test(text) && /listen/i.test(text)) {
    return `not allowed to listen on port ${settings.port} (ports below 1024 need privileges); `;
  }
  if (/Invalid configuration/.test(text)) return 'bad configuration (see the log lines below); ';
  if (/cannot be read safely/.test(text))
    return 'a state file cannot be read safely (see the log lines below); ';
  if (/already uses the state dir/.test(text)) return 'another SpotiPi server uses this state dir; ';
  if (/ERR_MODULE_NOT_FOUND|Cannot find module/.test(text))
    return 'the build is incomplete (run `npm run build`); ';
  return '';
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `the server was killed by ${exit.signal}` : `the server exited with code ${exit.code}`;
}

function indent(lines: string[]): string {
  return lines.map((line) => `  ${line}`).join('\n');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
