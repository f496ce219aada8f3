import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEB_ROOT } from './web-module.js';

const catalogue = JSON.parse(readFileSync(join(WEB_ROOT, 'i18n/catalogue.json'), 'utf8')) as Record<
  string,
  Record<string, string>
>;
const html = readFileSync(join(WEB_ROOT, 'index.html'), 'utf8');
const scripts = readdirSync(join(WEB_ROOT, 'js'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => ({ file: f, text: readFileSync(join(WEB_ROOT, 'js', f), 'utf8') }));

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

describe('the i18n catalogue', () => {
  it('has English and German with exactly the same keys', () => {
    const en = Object.keys(catalogue.en ?? {}).sort();
    const de = Object.keys(catalogue.de ?? {}).sort();
    expect(en.length).toBeGreaterThan(50);
    expect(de).toEqual(en);
  });

  it('uses the same placeholders in both languages and leaves no string empty', () => {
    for (const [key, english] of Object.entries(catalogue.en ?? {})) {
      const german = catalogue.de?.[key] ?? '';
      expect(english.trim(), key).not.toBe('');
      expect(german.trim(), key).not.toBe('');
      expect(placeholders(german), key).toEqual(placeholders(english));
    }
  });

  it('contains every key the page markup refers to', () => {
    const keys = [...html.matchAll(/data-i18n(?:-aria|-placeholder|-title)?="([^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(keys.length).toBeGreaterThan(40);
    const missing = keys.filter((k) => !(k in (catalogue.en ?? {})));
    expect(missing).toEqual([]);
  });

  it('contains every literal key the scripts translate', () => {
    const missing: string[] = [];
    let seen = 0;
    for (const { file, text } of scripts) {
      for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
        seen++;
        if (!(m[1]! in (catalogue.en ?? {}))) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });

  it('names every token-cache state the cache can report', () => {
    const states = [
      'empty',
      'valid',
      'refreshing',
      'refreshing_ahead',
      'expired',
      'error',
      'reauthorization_required',
    ];
    for (const state of states) expect(catalogue.en?.[`token.state.${state}`], state).toBeTruthy();
  });
});

describe('the page markup', () => {
  it('loads scripts and styles only from files, never inline (the server CSP forbids inline code)', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/\son[a-z]+="/);
    expect(html).not.toMatch(/<style/);
  });

  it('gives every form control a label', () => {
    const ids = [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"[^>]*>/g)]
      .filter((m) => !/type="hidden"|type="checkbox"/.test(m[0]))
      .map((m) => m[1] ?? '');
    expect(ids.length).toBeGreaterThan(8);
    for (const id of ids) expect(html, id).toMatch(new RegExp(`for="${id}"`));
  });
});
