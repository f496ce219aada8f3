/**
 * Where the server's private memory goes: the heap each dependency costs once loaded, measured as
 * the server loads it (bundled and minified by esbuild the way scripts/build.mjs does), each in a
 * fresh `node --expose-gc` after a full collection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages the server loads at start, and the one it loads only with REDIS_URL. */
export const PACKAGES = [
  'fastify',
  'zod',
  'prom-client',
  'pino',
  'commander',
  '@fastify/rate-limit',
  '@fastify/helmet',
  'croner',
  'ioredis',
] as const;

/** Heap (MB) one module graph adds once loaded. */
function heapOf(file: string): number {
  const script = `globalThis.gc(); const a = process.memoryUsage().heapUsed; import(${JSON.stringify(file)}).then(() => { globalThis.gc(); console.log(process.memoryUsage().heapUsed - a); });`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '-e', script], {
    encoding: 'utf8',
  });
  return Number(out.trim()) / 1e6;
}

/** Heap cost of each package (bundled as the build does) and of the whole server bundle's source. */
export async function contributors(): Promise<{ name: string; heapMb: number; bundleKb: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-contrib-'));
  try {
    const rows: { name: string; heapMb: number; bundleKb: number }[] = [];
    for (const name of PACKAGES) {
      const outfile = join(dir, `${name.replace('/', '_')}.mjs`);
      await build({
        stdin: { contents: `import * as m from '${name}'; globalThis.keep = m;`, resolveDir: root },
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        minifyWhitespace: true,
        minifySyntax: true,
        outfile,
        banner: { js: "import{createRequire as __r}from'node:module';const require=__r(import.meta.url);" },
        logLevel: 'error',
      });
      rows.push({ name, heapMb: heapOf(outfile), bundleKb: statSync(outfile).size / 1024 });
    }
    return rows.sort((a, b) => b.heapMb - a.heapMb);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
