/** Loads one of the web UI's plain-JS modules (web/js/*.js) into Node for unit tests of its pure functions. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildWeb } from '../../scripts/build-web.mjs';

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

/** Imports `web/js/<name>.js`; the caller states the shape it expects. */
export async function loadWebModule<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(`${WEB_ROOT}js/${name}.js`).href)) as T;
}

let built: Promise<string> | undefined;

/**
 * The web UI as users get it: web/ built by the production build (bundled, hashed,
 * precompressed) into a temp dir, once per test worker, so browser tests run the bundle.
 */
export function builtWebRoot(): Promise<string> {
  built ??= (async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'spotipi-web-')), 'web');
    await buildWeb(WEB_ROOT, dir);
    return dir;
  })();
  return built;
}
