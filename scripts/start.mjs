/**
 * `npm start`: builds only when a source is newer than the last build (a built checkout starts at
 * once; a fresh one builds first), then runs `spotipi serve` in this same process, so npm's child
 * is the server itself and a Ctrl-C or SIGTERM reaches it directly.
 *
 * With SPOTIPI_LOW_POWER set in the environment the server needs V8 flags that only a new process
 * can take; it then runs as a child with those flags (signals passed on). On a Pi, prefer the
 * systemd unit (`spotipi install-service`), which starts Node with the right flags and no npm.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const main = join(root, 'dist', 'cli', 'main.js');

/** Newest modification time under `path` (files the build reads; tests are skipped). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name.endsWith('.test.ts') || entry.name === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry.name)));
  }
  return latest;
}

/** Whether dist/ is missing or older than any source, build script or package file. */
export function needsBuild() {
  if (!existsSync(stamp) || !existsSync(main)) return true;
  const built = statSync(stamp).mtimeMs;
  const inputs = ['src', 'web', 'scripts', 'package.json', 'package-lock.json'].map((p) => join(root, p));
  return inputs.some((p) => newest(p) > built);
}

if (needsBuild()) {
  process.stderr.write('Building SpotiPi (dist/ is missing or older than the sources)...\n');
  // The same small-heap flags as package.json's build script: a first start on a Pi builds there.
  const flags = ['--max-semi-space-size=1', '--no-opt', '--no-sparkplug'];
  const result = spawnSync(process.execPath, [...flags, join(root, 'scripts', 'build.mjs')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const lowPower = /^(1|true|yes|on)$/i.test(process.env.SPOTIPI_LOW_POWER?.trim() ?? '');
const args = process.argv.slice(2);
if (lowPower) {
  const { LOW_POWER_NODE_FLAGS } = await import(
    pathToFileURL(join(root, 'dist', 'cli', 'node-flags.js')).href
  );
  const child = spawn(process.execPath, [...LOW_POWER_NODE_FLAGS, main, 'serve', ...args], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  // The CLI reads its command from argv: make this process `spotipi serve`.
  process.argv = [process.argv[0], main, 'serve', ...args];
  await import(pathToFileURL(main).href);
}
