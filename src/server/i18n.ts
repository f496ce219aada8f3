import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Server messages in the user's language, from the UI's own catalogue (web/i18n/catalogue.json),
 * so the German page shows German errors. English stays the text written in the code; other
 * languages look the message's key up and fall back to that English text.
 */

/** Languages the catalogue holds. */
export const SERVER_LANGUAGES = ['en', 'de'] as const;
export type ServerLanguage = (typeof SERVER_LANGUAGES)[number];

/** A message that can be translated: its catalogue key and `{name}` parameters. */
export interface MessageKey {
  key: string;
  params?: Record<string, string | number>;
}

const CATALOGUE_PATH = fileURLToPath(new URL('../../web/i18n/catalogue.json', import.meta.url));
let catalogue: Record<string, Record<string, string>> | undefined;

function load(): Record<string, Record<string, string>> {
  if (catalogue === undefined) {
    try {
      catalogue = JSON.parse(readFileSync(CATALOGUE_PATH, 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      // Without the web folder (a stripped install) every message stays English.
      catalogue = {};
    }
  }
  return catalogue;
}

/**
 * The language of a request: `?lang=` first, then the first supported `Accept-Language` tag by
 * quality, else English.
 */
export function requestLanguage(query: unknown, acceptLanguage: string | undefined): ServerLanguage {
  const lang = (query as { lang?: unknown } | undefined)?.lang;
  if (typeof lang === 'string') {
    const base = lang.toLowerCase().split('-')[0];
    if ((SERVER_LANGUAGES as readonly string[]).includes(base ?? '')) return base as ServerLanguage;
  }
  if (!acceptLanguage) return 'en';
  const tags = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...attrs] = part.trim().split(';');
      const q = attrs.map((a) => /^\s*q=([\d.]+)\s*$/.exec(a)?.[1]).find(Boolean);
      return { base: tag.toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const t of tags) {
    if ((SERVER_LANGUAGES as readonly string[]).includes(t.base)) return t.base as ServerLanguage;
  }
  return 'en';
}

/** The message for `lang`: the catalogue's text with parameters filled in, else `english`. */
export function translate(message: MessageKey, lang: ServerLanguage, english: string): string {
  if (lang === 'en') return english;
  const text = load()[lang]?.[message.key];
  if (text === undefined) return english;
  const params = message.params ?? {};
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}
