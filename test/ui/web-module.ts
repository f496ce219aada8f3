/** Loads one of the web UI's plain-JS modules (web/js/*.js) into Node for unit tests of its pure functions. */
import { fileURLToPath, pathToFileURL } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

/** Imports `web/js/<name>.js`; the caller states the shape it expects. */
export async function loadWebModule<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(`${WEB_ROOT}js/${name}.js`).href)) as T;
}
