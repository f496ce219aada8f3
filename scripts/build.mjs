/**
 * `npm run build` (first part; scripts/build-types.mjs writes the library's .d.ts files): esbuild
 * instead of tsc, so the build fits a 512 MB Pi (tsc peaks above 400 MB; type checking stays in
 * `npm run typecheck`).
 *
 * - dist/cli/main.js: the CLI and server, bundled with their dependencies (tree-shaken, whitespace
 *   and syntax minified; names kept, so stack traces stay readable). Parts only some set-ups use
 *   (the emulator, the Redis client, CLI commands) are split into chunks loaded when used.
 * - dist/token/index.js and dist/token/stores/redis-store.js: the `spotipi/token` exports.
 * - dist/cli/node-flags.js: the server's V8 flags, for scripts/start.mjs.
 * - dist/web/: the web UI (scripts/build-web.mjs).
 * - dist/.build-stamp: written last; scripts/start.mjs rebuilds only when a source is newer.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

// esbuild is a Go program: by default its collector lets the heap double between collections and
// it bundles on every core. On a 512 MB Pi the peak matters more than seconds: measured on the
// server bundle and page together, 182 MB peak (node and esbuild) by default, 146 MB with these
// (the build takes about a second longer on 2 cores). A user's own GOGC/GOMAXPROCS win.
process.env.GOGC ??= '10';
process.env.GOMAXPROCS ??= '1';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Entry points of the server bundle, relative to src/. */
export const SERVER_ENTRIES = [
  'cli/main.ts',
  'cli/node-flags.ts',
  'token/index.ts',
  'token/stores/redis-store.ts',
];

/** Bundles the server and the library entries into dist/. */
export async function buildServer(outDir = dist) {
  // Chunks are content-named: drop the previous build's so they do not pile up.
  await rm(join(outDir, 'chunks'), { recursive: true, force: true });
  await build({
    entryPoints: SERVER_ENTRIES.map((e) => join(root, 'src', e)),
    outbase: join(root, 'src'),
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    // Bundled CommonJS dependencies call require(); give each ES module output one.
    banner: {
      js: "import{createRequire as __spotipiRequire}from'node:module';const require=__spotipiRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}

async function main() {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  const wants = (part) => !only || only.includes(part);
  await mkdir(dist, { recursive: true });
  if (wants('server')) {
    await buildServer();
    // The server bundle is the largest graph: let esbuild's process go with its memory before the
    // page is bundled and compressed (a new esbuild process starts, much smaller).
    await stop();
  }
  if (wants('web')) {
    const { buildWeb } = await import('./build-web.mjs');
    await buildWeb(join(root, 'web'), join(dist, 'web'));
  }
  if (!only) await writeFile(join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`build failed: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
