/**
 * Builds the web UI for serving: web/ stays the source of truth (plain ES modules that run as they
 * are), and dist/web/ gets what a phone downloads over Wi-Fi, in as few requests as possible:
 * - the page's modules bundled and minified from web/js/main.js into one js/main-HASH.js (a module
 *   another engineer adds is picked up through its import from main.js), with the i18n catalogue
 *   inside it (i18n.js reads `globalThis.SPOTIPI_CATALOGUE`, defined here), so the strings cost no
 *   request and are cached as long as the code;
 * - app.css minified into a <style> in the page (no request, and nothing to wait for before the
 *   first paint);
 * - the SVG logo inlined into the page as a data: URI (it is both an image and the favicon);
 * - content-hashed names, so the server can mark them immutable and a new build is a new URL;
 * - sw.js told the build's file list (and a cache name that changes with it);
 * - every text file precompressed next to itself as .br and .gz, when that is smaller.
 * Other files (icons, manifest, the catalogue the login page reads, the page's source modules) are
 * copied as they are.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

/** Browsers the bundle is written for (what phones of the last five years run). */
const TARGETS = ['chrome100', 'firefox100', 'safari15'];
/** Extensions worth compressing. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.webmanifest', '.txt']);
/** Below this a compressed copy saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 256;

/** Eight characters of a content hash, the part that makes an asset name immutable. */
export function contentHash(data) {
  return createHash('sha256').update(data).digest('base64url').replace(/[-_]/g, '').slice(0, 8).toUpperCase();
}

/** `name.ext` → `name-HASH.ext`. */
function hashedName(path, data) {
  const ext = extname(path);
  return `${path.slice(0, -ext.length)}-${contentHash(data)}${ext}`;
}

/** Replaces `pattern` in `text` exactly once, or fails the build naming what was not found. */
function replaceOnce(text, pattern, replacement, what) {
  const matches = text.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`));
  if (matches?.length !== 1)
    throw new Error(`build-web: expected one ${what}, found ${matches?.length ?? 0}`);
  return text.replace(pattern, replacement);
}

async function walk(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])),
  );
  return files.flat();
}

/**
 * Builds `webSrc` (web/) into `outDir` (dist/web/). Returns the service worker's shell: the hashed
 * name of the page's bundle (styles and strings are inside the page and the bundle), relative to
 * `outDir`.
 */
export async function buildWeb(webSrc, outDir) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  // Everything but the files rewritten below. The page's modules are copied too, unused by the
  // page (it loads the bundle), so a module something else loads by name (a worker) still exists.
  await cp(webSrc, outDir, {
    recursive: true,
    filter: (src) => !['index.html', 'sw.js', 'app.css'].includes(relative(webSrc, src)),
  });

  const catalogue = JSON.stringify(JSON.parse(await readFile(join(webSrc, 'i18n/catalogue.json'), 'utf8')));
  const bundled = await build({
    entryPoints: [join(webSrc, 'js/main.js')],
    bundle: true,
    format: 'esm',
    minify: true,
    target: TARGETS,
    write: false,
    outfile: 'main.js',
    legalComments: 'none',
    logLevel: 'warning',
    // The strings travel inside the bundle; unbuilt, i18n.js fetches i18n/catalogue.json instead.
    define: { 'globalThis.SPOTIPI_CATALOGUE': catalogue },
  });
  const js = bundled.outputFiles[0].text;
  // A German sentence only the catalogue holds (plain ASCII, so the minifier writes it as it is).
  const { en = {}, de = {} } = JSON.parse(catalogue);
  const english = new Set(Object.values(en));
  const marker = Object.entries(de).find(
    ([key, v]) =>
      !key.startsWith('_') && !english.has(v) && /^[\x20-\x7e]{16,}$/.test(v) && !/["'`\\$]/.test(v),
  )?.[1];
  if (marker && !js.includes(marker))
    throw new Error(
      'build-web: the catalogue did not reach the bundle (globalThis.SPOTIPI_CATALOGUE in i18n.js)',
    );
  const jsName = hashedName('js/main.js', js);
  await mkdir(join(outDir, 'js'), { recursive: true });
  await writeFile(join(outDir, jsName), js);

  const css = (
    await transform(await readFile(join(webSrc, 'app.css'), 'utf8'), {
      loader: 'css',
      minify: true,
      target: TARGETS,
    })
  ).code.trim();

  let html = await readFile(join(webSrc, 'index.html'), 'utf8');
  html = replaceOnce(
    html,
    /<link rel="stylesheet" href="app\.css">/,
    // A function: `$` in the stylesheet must not be read as a replacement pattern.
    () => `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`,
    'stylesheet link to app.css in index.html',
  );
  html = replaceOnce(
    html,
    /<script type="module" src="js\/main\.js"><\/script>/,
    `<script type="module" src="${jsName}"></script>`,
    'module script js/main.js in index.html',
  );
  // The small SVG logo (header image and favicon) travels inside the page: two requests fewer.
  const logo = await readFile(join(webSrc, 'icons/icon.svg'), 'utf8');
  const logoUri = `data:image/svg+xml,${encodeURIComponent(logo.replace(/\s*\n\s*/g, ' ').trim())}`;
  html = html.replace(/(src|href)="icons\/icon\.svg"/g, (_m, attr) => `${attr}="${logoUri}"`);
  await writeFile(join(outDir, 'index.html'), html);

  const shell = [jsName];
  let sw = await readFile(join(webSrc, 'sw.js'), 'utf8');
  sw = replaceOnce(
    sw,
    /const SHELL = \[[^\]]*\];/,
    `const SHELL = ${JSON.stringify(shell)};`,
    'SHELL list in sw.js',
  );
  sw = replaceOnce(
    sw,
    /const CACHE = '[^']*';/,
    `const CACHE = 'spotipi-shell-${contentHash(shell.join())}';`,
    'CACHE name in sw.js',
  );
  await writeFile(join(outDir, 'sw.js'), sw);

  for (const file of await walk(outDir)) await precompress(file);
  return { shell };
}

/** Writes `file.br` and `file.gz` beside a text file when they are smaller than it. */
async function precompress(file) {
  if (!COMPRESSIBLE.has(extname(file))) return;
  const data = await readFile(file);
  if (data.length < MIN_COMPRESS_BYTES) return;
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gz = gzipSync(data, { level: 9 });
  await mkdir(dirname(file), { recursive: true });
  if (br.length < data.length) await writeFile(`${file}.br`, br);
  if (gz.length < data.length) await writeFile(`${file}.gz`, gz);
}
