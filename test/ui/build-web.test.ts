import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.mjs';
import { WEB_ROOT } from './web-module.js';

/** A scratch copy of web/ to build from. */
function copyOfWeb(): { src: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-build-web-'));
  cpSync(WEB_ROOT, join(dir, 'web'), { recursive: true });
  return { src: join(dir, 'web'), out: join(dir, 'dist-web') };
}

describe('the web build', () => {
  it('bundles a module another engineer adds, found through its import from main.js', async () => {
    const { src, out } = copyOfWeb();
    writeFileSync(
      join(src, 'js/bedside-clock.js'),
      "export function bedside() { return 'bedside-clock-marker'; }\n",
    );
    const main = readFileSync(join(src, 'js/main.js'), 'utf8');
    writeFileSync(
      join(src, 'js/main.js'),
      `import { bedside } from './bedside-clock.js';\n${main}\ndocument.title = bedside();\n`,
    );
    const { shell } = await buildWeb(src, out);
    const bundle = readFileSync(join(out, shell[0]!), 'utf8');
    expect(bundle).toContain('bedside-clock-marker');
    // One hashed file for the page's code, and it is all the service worker needs to keep.
    expect(readdirSync(join(out, 'js')).filter((f) => /^main-[A-Z0-9]{8}\.js$/.test(f))).toHaveLength(1);
    expect(shell).toEqual([expect.stringMatching(/^js\/main-[A-Z0-9]{8}\.js$/)]);
    // The logo (header image and favicon) is inside the page, not two more requests.
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).not.toContain('icons/icon.svg');
    expect(html).toContain('href="data:image/svg+xml,');
  });

  it('puts both languages in the bundle and the stylesheet in the page: no request for either', async () => {
    const { src, out } = copyOfWeb();
    const catalogue = JSON.parse(readFileSync(join(src, 'i18n/catalogue.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const { shell } = await buildWeb(src, out);
    const bundle = readFileSync(join(out, shell[0]!), 'utf8');
    for (const lang of ['en', 'de']) {
      // Every sentence the minifier writes as it is (plain ASCII, no quotes or escapes).
      const plain = Object.values(catalogue[lang]!).filter(
        (v) => /^[\x20-\x7e]{8,}$/.test(v) && !/["'`\\$]/.test(v),
      );
      expect(plain.length, lang).toBeGreaterThan(100);
      expect(
        plain.filter((v) => !bundle.includes(v)),
        lang,
      ).toEqual([]);
    }
    expect(readdirSync(out)).not.toContain('app.css');
    expect(readdirSync(join(out, 'i18n')).filter((f) => /catalogue-/.test(f))).toEqual([]);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<link rel="stylesheet"/);
    // The minified stylesheet, whole, in one <style> in the head.
    const style = /<head>[\s\S]*<style>([\s\S]*?)<\/style>[\s\S]*<\/head>/.exec(html)?.[1] ?? '';
    expect(style).toContain('.card');
    expect(style.length).toBeGreaterThan(readFileSync(join(src, 'app.css'), 'utf8').length / 2);
  });

  it('fails, naming the module, when the catalogue no longer reaches the bundle', async () => {
    const { src, out } = copyOfWeb();
    const i18n = readFileSync(join(src, 'js/i18n.js'), 'utf8');
    writeFileSync(
      join(src, 'js/i18n.js'),
      i18n.replaceAll('globalThis.SPOTIPI_CATALOGUE', 'globalThis.OTHER'),
    );
    await expect(buildWeb(src, out)).rejects.toThrow(/SPOTIPI_CATALOGUE in i18n\.js/);
  });

  it('writes brotli and gzip copies that decompress to the very file', async () => {
    const { src, out } = copyOfWeb();
    const { shell } = await buildWeb(src, out);
    for (const file of [...shell, 'index.html', 'sw.js']) {
      const plain = readFileSync(join(out, file));
      expect(brotliDecompressSync(readFileSync(join(out, `${file}.br`))).equals(plain), file).toBe(true);
      expect(gunzipSync(readFileSync(join(out, `${file}.gz`))).equals(plain), file).toBe(true);
    }
    // What a phone downloads for the page, its code, styles and strings (brotli).
    const wire = [...shell, 'index.html'].reduce(
      (sum, file) => sum + readFileSync(join(out, `${file}.br`)).length,
      0,
    );
    expect(wire).toBeLessThan(46 * 1024);
  });

  it('fails, naming the tag, when index.html no longer loads js/main.js', async () => {
    const { src, out } = copyOfWeb();
    const html = readFileSync(join(src, 'index.html'), 'utf8');
    writeFileSync(join(src, 'index.html'), html.replace('src="js/main.js"', 'src="js/app.js"'));
    await expect(buildWeb(src, out)).rejects.toThrow(/module script js\/main\.js in index\.html/);
  });
});
