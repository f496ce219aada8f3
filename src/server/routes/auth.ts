import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  accessControlEnabled,
  credentialMatches,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  safeNext,
  sessionIdOf,
} from '../access.js';
import type { AppDeps } from '../deps.js';
import { HttpError, handleError } from '../errors.js';
import { escapeHtml } from '../html.js';
import type { SessionStore } from '../sessions.js';

const loginBody = {
  type: 'object',
  properties: {
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    next: { type: 'string', maxLength: 2048 },
  },
  required: ['password'],
  additionalProperties: false,
} as const;

/** Requests per client and minute on the public auth routes besides the password post. */
const PUBLIC_ROUTE_LIMIT = { max: 30, timeWindow: 60_000 } as const;

/**
 * SpotiPi's own login (password form -> random server-side session id in a signed cookie),
 * logout (ends that session) and log out everywhere (ends all). Form bodies are parsed only here.
 */
export const authRoutes: FastifyPluginAsync<{
  deps: AppDeps;
  sessions: SessionStore | undefined;
  maxAttemptsPerMinute?: number;
}> = async (app, { deps, sessions, maxAttemptsPerMinute }) => {
  const access = { password: deps.config.access.password, apiToken: deps.config.access.apiToken };
  const catalogue = await loadLoginCatalogue(deps.webRoot);
  const languages = Object.keys(catalogue);
  const textFor = (request: FastifyRequest): LoginText => {
    const { lang } = (request.query ?? {}) as { lang?: string };
    const chosen = loginLanguage(lang, request.headers['accept-language'], languages);
    return { lang: chosen, languages, strings: catalogue[chosen] ?? ENGLISH };
  };

  // The only routes that take a form: the browser's password post and the logout buttons.
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.get('/auth/login', {
    config: { rateLimit: PUBLIC_ROUTE_LIMIT },
    schema: {
      querystring: {
        type: 'object',
        properties: { next: { type: 'string', maxLength: 2048 }, lang: langParam },
      },
    },
    handler: async (request, reply) => {
      const { next } = request.query as { next?: string };
      return sendLoginPage(
        reply,
        200,
        loginPage(textFor(request), safeNext(next), accessControlEnabled(access)),
      );
    },
  });

  app.post('/auth/login', {
    schema: { body: loginBody, querystring: { type: 'object', properties: { lang: langParam } } },
    // Counts every attempt from one address; successful ones are rare enough not to matter.
    config: { rateLimit: { max: maxAttemptsPerMinute ?? 5, timeWindow: 60_000 } },
    // A browser's form post over the limit gets the login page saying so, not a JSON body.
    errorHandler: (error, request, reply) => {
      if (error instanceof HttpError && error.status === 429 && isFormPost(request)) {
        const { next } = (request.body ?? {}) as { next?: string };
        const text = textFor(request);
        void reply.header('retry-after', String(error.extra.retryAfterSeconds ?? 60));
        return sendLoginPage(
          reply,
          429,
          loginPage(text, safeNext(next), true, text.strings['login.tooMany']),
        );
      }
      return handleError(error, request, reply);
    },
    handler: async (request, reply) => {
      const { password, next } = request.body as { password: string; next?: string };
      const target = safeNext(next);
      if (!accessControlEnabled(access) || !credentialMatches(password, access)) {
        request.log.warn({ ip: request.ip }, 'failed SpotiPi login attempt');
        if (isFormPost(request)) {
          const text = textFor(request);
          return sendLoginPage(reply, 401, loginPage(text, target, true, text.strings['login.wrong']));
        }
        throw new HttpError(401, 'Wrong password.', { field: 'password', i18n: { key: 'error.password' } });
      }
      if (!sessions) throw new Error('access control is on but no session store was given');
      setSession(reply, request, await sessions.create());
      if (isFormPost(request)) return reply.redirect(target, 303);
      return { ok: true };
    },
  });

  app.post('/auth/logout', { config: { rateLimit: PUBLIC_ROUTE_LIMIT } }, async (request, reply) => {
    const id = sessionIdOf(request);
    if (id !== undefined) await sessions?.revoke(id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/auth/login', 303);
  });

  // Not public: needs a live session or the API token (the access hook checks).
  app.post('/auth/logout-everywhere', async (request, reply) => {
    const ended = (await sessions?.revokeAll()) ?? 0;
    request.log.info({ sessions: ended }, 'logged out everywhere');
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (isFormPost(request)) return reply.redirect('/auth/login', 303);
    return { ok: true, sessions_ended: ended };
  });
};

/**
 * Sends the login page. Its referrer policy is same-origin (not helmet's no-referrer): under
 * no-referrer a browser's form POST carries `Origin: null`, which the cross-site guard refuses.
 */
function sendLoginPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).header('referrer-policy', 'same-origin').type('text/html').send(html);
}

function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function setSession(reply: FastifyReply, request: FastifyRequest, sessionId: string): void {
  // request.protocol is https behind a proxy only when SPOTIPI_TRUST_PROXY trusts it.
  void reply.setCookie(SESSION_COOKIE, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    signed: true,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
}

const langParam = { type: 'string', maxLength: 35 } as const;

/** The catalogue keys the login page uses (web/i18n/catalogue.json, the UI's one catalogue). */
const LOGIN_KEYS = [
  'login.title',
  'login.text',
  'login.password',
  'login.submit',
  'login.wrong',
  'login.tooMany',
  'login.noPassword',
  'login.open',
  'settings.language',
] as const;
type LoginStrings = Record<(typeof LOGIN_KEYS)[number], string>;
/** The chosen language, the ones offered, and the strings. */
interface LoginText {
  lang: string;
  languages: readonly string[];
  strings: LoginStrings;
}

/** Used when the UI (and so its catalogue) is not installed, and for keys a language lacks. */
const ENGLISH: LoginStrings = {
  'login.title': 'SpotiPi is locked',
  'login.text': 'Enter the SpotiPi password to continue.',
  'login.password': 'Password',
  'login.submit': 'Unlock',
  'login.wrong': 'That password is not right.',
  'login.tooMany': 'Too many attempts. Wait a minute and try again.',
  'login.noPassword': 'No password is set on this SpotiPi, so there is nothing to unlock.',
  'login.open': 'Open SpotiPi',
  'settings.language': 'Language',
};

/** Native names for the language switch. */
const LANGUAGE_NAMES: Record<string, string> = { en: 'English', de: 'Deutsch' };

/** The login page's strings per language, read once from the UI's catalogue under `webRoot`. */
async function loadLoginCatalogue(webRoot: string | undefined): Promise<Record<string, LoginStrings>> {
  const catalogue: Record<string, LoginStrings> = { en: ENGLISH };
  if (webRoot === undefined) return catalogue;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(webRoot, 'i18n', 'catalogue.json'), 'utf8'));
  } catch {
    return catalogue; // no UI installed: English
  }
  if (!raw || typeof raw !== 'object') return catalogue;
  for (const [lang, table] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[a-z]{2,3}$/.test(lang) || !table || typeof table !== 'object') continue;
    const entries = table as Record<string, unknown>;
    catalogue[lang] = Object.fromEntries(
      LOGIN_KEYS.map((key) => {
        const value = entries[key];
        return [key, typeof value === 'string' && value.trim() !== '' ? value : ENGLISH[key]];
      }),
    ) as LoginStrings;
  }
  return catalogue;
}

/**
 * The login page's language: `?lang=` when offered, else the best Accept-Language match (by q),
 * else English — the same choice the UI makes from the browser's languages.
 */
export function loginLanguage(
  requested: string | undefined,
  acceptLanguage: string | undefined,
  offered: readonly string[],
): string {
  const base = (tag: string) => tag.trim().toLowerCase().split('-')[0] ?? '';
  if (requested !== undefined && offered.includes(base(requested))) return base(requested);
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: base(tag), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && entry.lang !== '' && entry.lang !== '*')
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.find((entry) => offered.includes(entry.lang))?.lang ?? 'en';
}

/** The UI's palette (web/app.css), light and dark, inline: the stylesheet itself is behind the login. */
const LOGIN_CSS = `
:root{color-scheme:light dark;--bg:#eef2f0;--card:#fff;--text:#14201a;--muted:#56665e;--line:#d8e1dc;--accent:#0d7a3b;--on-accent:#fff;--error-bg:#fde4e1;--error-text:#9b1c12;--focus:#2563eb;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:16px;line-height:1.45}
@media (prefers-color-scheme:dark){:root{--bg:#0c110f;--card:#161d1a;--text:#e7efea;--muted:#9fb2a8;--line:#2a3631;--accent:#3ddc84;--on-accent:#05200f;--error-bg:#431a16;--error-text:#ffb4a9;--focus:#8ab4ff}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;padding:16px;background:var(--bg);color:var(--text)}
main{width:100%;max-width:380px;background:var(--card);border-radius:16px;padding:24px;box-shadow:0 1px 2px rgba(16,32,24,.06),0 4px 16px rgba(16,32,24,.06)}
.brand{display:flex;align-items:center;gap:8px;font-weight:700;font-size:1.1rem;margin-bottom:16px}
h1{font-size:1.35rem;margin:0 0 4px}p{margin:0 0 16px;color:var(--muted)}
label{display:block;font-weight:600;margin-bottom:6px}
input{width:100%;font:inherit;padding:12px;border-radius:10px;border:1px solid var(--line);background:var(--bg);color:var(--text)}
button{width:100%;margin-top:16px;font:inherit;font-weight:700;padding:12px;border:0;border-radius:999px;background:var(--accent);color:var(--on-accent);cursor:pointer}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.error{margin:12px 0 0;padding:10px 12px;border-radius:10px;background:var(--error-bg);color:var(--error-text)}
nav{margin-top:20px;text-align:center;font-size:.9rem}nav a{color:var(--accent);margin:0 6px}nav a[aria-current]{color:var(--text);font-weight:700;text-decoration:none}
`;

/** SpotiPi's password page, in the UI's look and language (no scripts: the CSP allows none inline). */
function loginPage(text: LoginText, next: string, enabled: boolean, error?: string): string {
  const s = text.strings;
  const query = (lang: string) =>
    `lang=${encodeURIComponent(lang)}${next === '/' ? '' : `&next=${encodeURIComponent(next)}`}`;
  const languageLinks = text.languages
    .map((lang) => {
      const current = lang === text.lang ? ' aria-current="true"' : '';
      const name = LANGUAGE_NAMES[lang] ?? lang;
      return `<a href="/auth/login?${escapeHtml(query(lang))}" hreflang="${lang}" lang="${lang}"${current}>${escapeHtml(name)}</a>`;
    })
    .join('');
  const body = enabled
    ? `<h1>${escapeHtml(s['login.title'])}</h1>
<p>${escapeHtml(s['login.text'])}</p>
<form method="post" action="/auth/login?lang=${encodeURIComponent(text.lang)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="password">${escapeHtml(s['login.password'])}</label>
<input id="password" type="password" name="password" autocomplete="current-password" required autofocus${error ? ' aria-invalid="true" aria-describedby="login-error"' : ''}>
${error ? `<p id="login-error" class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<button type="submit">${escapeHtml(s['login.submit'])}</button>
</form>`
    : `<p>${escapeHtml(s['login.noPassword'])}</p>
<p><a href="/">${escapeHtml(s['login.open'])}</a></p>`;
  return `<!doctype html>
<html lang="${text.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(enabled ? s['login.title'] : 'SpotiPi')}</title>
<link rel="icon" href="/icons/icon.svg" type="image/svg+xml">
<style>${LOGIN_CSS}</style>
</head>
<body>
<main>
<div class="brand"><img src="/icons/icon.svg" alt="" width="28" height="28"><span>SpotiPi</span></div>
${body}
${text.languages.length > 1 ? `<nav aria-label="${escapeHtml(s['settings.language'])}">${languageLinks}</nav>` : ''}
</main>
</body>
</html>
`;
}
