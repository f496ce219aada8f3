import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../../src/emulator/demo-credentials.js';
import { type Harness, startHarness } from './server-harness.js';

/** Cases per property; four properties run against one server. */
const RUNS = 600;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Route {
  method: Method;
  path: string;
}

/** Reads every route from Fastify's route tree (`printRoutes({ commonPrefix: false })`). */
function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([\s│]*)[├└]── (.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const name = m[2]!;
    const parent = depth === 0 ? '' : (stack[depth - 1] ?? '');
    const path =
      depth === 0 ? name : parent === '/' ? `/${name}` : `${parent}${name.startsWith('/') ? '' : '/'}${name}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of m[3]!.split(',').map((s) => s.trim())) {
      if (method !== 'HEAD') routes.push({ method: method as Method, path });
    }
  }
  return routes;
}

/** Field names the routes read, so random bodies often have the right keys with wrong values. */
const FIELDS = [
  'context_uri',
  'uris',
  'offset',
  'position_ms',
  'device_id',
  'device',
  'volume',
  'volume_percent',
  'state',
  'time',
  'weekdays',
  'enabled',
  'playlist_uri',
  'name',
  'fade_in_seconds',
  'timezone',
  'minutes',
  'password',
  'token',
  'url',
  'code',
  'redirect_url',
  'id',
  'label',
  'shuffle',
  'snooze_minutes',
];

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '../../etc/passwd',
    '%00',
    '%zz',
    '\u0000',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    'spotify:track:',
    'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M',
    '25:61',
    '-1',
    '1e309',
    'NaN',
  ),
  fc.string({ minLength: 5_000, maxLength: 20_000 }),
);
const oddValue = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(oddString, fc.integer()), { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const wrongTypedBody = fc.dictionary(fc.constantFrom(...FIELDS), oddValue, { maxKeys: 6 });
const anyBody = fc.oneof(
  wrongTypedBody,
  fc.jsonValue({ maxDepth: 4 }),
  fc.constant({ ['__proto__']: { polluted: true } }),
);
const oddQuery = fc.oneof(
  fc
    .dictionary(
      fc.oneof(fc.constantFrom('refresh', 'code', 'state', 'error', 'limit', 'offset', 'lang'), fc.string()),
      fc.string(),
      { maxKeys: 4 },
    )
    .map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom(
    '%',
    '%zz',
    'a=1&a=2&a=3',
    'refresh[]=1',
    '=&=&',
    '?',
    '&&&',
    'refresh=1&refresh=0',
    `x=${'y'.repeat(9000)}`,
  ),
  fc.string().map((s) => encodeURI(s)),
);

/**
 * Valid bodies per route. Random keys mostly stop at schema validation; these reach the handlers,
 * and the property below bends one to three of their fields at a time.
 */
const SEEDS: { method: Method; path: string; body: Record<string, unknown> }[] = [
  {
    method: 'POST',
    path: '/api/playback/play',
    body: { context_uri: 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M' },
  },
  {
    method: 'POST',
    path: '/api/playback/play',
    body: { uris: ['spotify:track:4uLU6hMCjMI75M1A2tKUQC'], position_ms: 0 },
  },
  {
    method: 'POST',
    path: '/api/playback/play',
    body: { device: 'Kitchen Speaker', offset: { position: 1 } },
  },
  { method: 'POST', path: '/api/playback/pause', body: { device_id: 'abc' } },
  { method: 'POST', path: '/api/playback/next', body: {} },
  { method: 'PUT', path: '/api/playback/volume', body: { volume: 50 } },
  { method: 'PUT', path: '/api/playback/shuffle', body: { state: true } },
  { method: 'PUT', path: '/api/playback/device', body: { device_id: 'abc', play: true } },
  { method: 'PUT', path: '/api/playback/seek', body: { position_ms: 30_000 } },
  { method: 'PUT', path: '/api/playback/repeat', body: { state: 'context' } },
  { method: 'POST', path: '/api/queue', body: { uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC' } },
  {
    method: 'PUT',
    path: '/api/library/saved',
    body: { uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC', saved: true },
  },
  {
    method: 'POST',
    path: '/api/alarms',
    body: {
      time: '07:30',
      label: 'Fuzz',
      days: ['mon', 'fri'],
      context_uri: 'liked',
      volume: 40,
      fade_in_seconds: 30,
      shuffle: false,
      enabled: true,
      timezone: 'Europe/Berlin',
      device: null,
    },
  },
  { method: 'PUT', path: '/api/alarms/:id', body: { time: '06:15', context_uri: 'liked', days: [] } },
  { method: 'PATCH', path: '/api/alarms/:id', body: { enabled: false, label: 'x' } },
  { method: 'POST', path: '/api/alarms/:id/snooze', body: { minutes: 5 } },
  {
    method: 'POST',
    path: '/api/sleep',
    body: { minutes: 30, context_uri: 'liked', volume: 30, fade_out_seconds: 10 },
  },
  { method: 'PUT', path: '/api/sleep/settings', body: { minutes: 45 } },
  {
    method: 'POST',
    path: '/api/login/complete',
    body: { redirect_url: 'http://127.0.0.1:5001/callback?code=c&state=s' },
  },
];

/** A value of the same JSON type as `value`, picked from its odd corners. */
function sameTypeOdd(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value === 'number')
    return fc.oneof(
      fc.integer(),
      fc.integer({ min: -2, max: 1_000 }),
      fc.constantFrom(0, -1, 1e6, 2 ** 31, Number.MAX_SAFE_INTEGER, 0.5, -0.0),
    );
  if (typeof value === 'boolean') return fc.boolean();
  if (typeof value === 'string') return oddString;
  if (Array.isArray(value)) return fc.array(oddString, { maxLength: 120 });
  if (value && typeof value === 'object')
    return fc.dictionary(fc.constantFrom(...Object.keys(value), 'uri', 'position'), oddValue, { maxKeys: 3 });
  return oddValue;
}

/** A seed body with one to three of its fields bent (or dropped). */
const nearValid = fc.nat({ max: SEEDS.length - 1 }).chain((index) => {
  const seed = SEEDS[index]!;
  const keys = Object.keys(seed.body);
  const bend =
    keys.length === 0
      ? fc.constant({})
      : fc.dictionary(
          fc.constantFrom(...keys),
          fc.oneof(fc.constantFrom(undefined), ...keys.map((k) => sameTypeOdd(seed.body[k]))),
          { minKeys: 1, maxKeys: 3 },
        );
  return bend.map((changes) => {
    const body: Record<string, unknown> = { ...seed.body };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete body[key];
      else body[key] = value;
    }
    return { seed, body };
  });
});

let h: Harness;
let routes: Route[];
let secrets: string[];
/** Statuses the random-body property produced (it must reach handlers, not only 404s). */
const seen = new Map<number, number>();

/** Pins a route template's parameters to random strings. */
function fill(path: string, param: string): string {
  return path
    .replace(/:[a-zA-Z]+/g, encodeURIComponent(param))
    .replace('*', encodeURIComponent(param) || 'x');
}

function problemsOf(status: number, text: string, headers: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (status >= 500 && status !== 502 && status !== 503) problems.push(`status ${status}`);
  const all = `${text}\n${JSON.stringify(headers)}`;
  for (const secret of secrets) if (secret && all.includes(secret)) problems.push('a secret in the response');
  if (/\bat .+\.(ts|js):\d+/.test(text)) problems.push('a stack trace in the response');
  return problems;
}

beforeAll(async () => {
  h = await startHarness();
  await h.server.app.ready();
  routes = routesOf(h.server.app);
  const token = await h.server.tokenCache.getAccessToken();
  secrets = [token, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, ...h.emulator.validRefreshTokens()];
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('fuzzing every HTTP route of the real app', () => {
  it('finds the routes it fuzzes in the app (playback, token cache, alarms, login, ...)', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /playback_status');
    expect(paths).toContain('POST /api/playback/play');
    expect(paths).toContain('GET /api/token-cache/status');
    expect(paths.some((p) => p.includes(':id'))).toBe(true);
    expect(routes.length).toBeGreaterThan(20);
  });

  it('answers random JSON and wrong types with no 500, no stack trace and no secret', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), anyBody, oddString, async (i, body, param) => {
        const route = routes[i % routes.length]!;
        const url = fill(route.path, param.slice(0, 200));
        const res = await h.server.app.inject({
          method: route.method,
          url,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: body as object }),
        });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        // The route and the answer, so a rare failure under load says where it happened.
        expect(
          problemsOf(res.statusCode, res.body, res.headers),
          `${route.method} ${url.slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 300)}`,
        ).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    console.log(`random bodies: statuses ${JSON.stringify(Object.fromEntries(seen))}`);
    expect([...seen.keys()].filter((s) => s >= 200 && s < 300).length).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(RUNS / 10);
  }, 120_000);

  it('answers near-valid bodies (valid ones with a few fields bent) with no 500, reaching the handlers', async () => {
    const created = await h.server.app.inject({
      method: 'POST',
      url: '/api/alarms',
      payload: { time: '05:00', context_uri: 'liked' },
    });
    expect(created.statusCode).toBe(201);
    const alarmId = (created.json() as { id: string }).id;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(nearValid, async ({ seed, body }) => {
        const res = await h.server.app.inject({
          method: seed.method,
          url: seed.path.replace(':id', alarmId),
          payload: body,
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(
          problemsOf(res.statusCode, res.body, res.headers),
          `${seed.method} ${seed.path} ${JSON.stringify(body).slice(0, 300)}`,
        ).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    console.log(`near-valid bodies: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    // Past validation into the handlers: a good share succeed.
    const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(RUNS / 10);
  }, 120_000);

  it('answers odd query strings, odd paths and odd content types with no 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        oddQuery,
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data; boundary=x',
          '',
        ),
        fc.oneof(
          fc.string(),
          fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '{"volume":}', 'a=1&b', '\u0000'),
        ),
        async (i, query, contentType, raw) => {
          const route = routes[i % routes.length]!;
          const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
          const res = await h.server.app.inject({
            method: route.method,
            url: `${fill(route.path, 'x')}?${query}`,
            headers: contentType ? { 'content-type': contentType } : {},
            ...(hasBody ? { payload: raw } : {}),
          });
          expect(problemsOf(res.statusCode, res.body, res.headers)).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('refuses huge bodies with 413 on every route that takes one', async () => {
    const huge = JSON.stringify({ context_uri: 'spotify:album:x', pad: 'x'.repeat(3 * 1024 * 1024) });
    for (const route of routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE')) {
      const res = await h.server.app.inject({
        method: route.method,
        url: fill(route.path, 'x'),
        headers: { 'content-type': 'application/json' },
        payload: huge,
      });
      // The login form is rate-limited per client, which may answer first.
      const allowed = route.path.startsWith('/auth/') ? [413, 429] : [413];
      expect({ route: `${route.method} ${route.path}`, ok: allowed.includes(res.statusCode) }).toEqual({
        route: `${route.method} ${route.path}`,
        ok: true,
      });
    }
  }, 60_000);

  it('is still healthy afterwards, over real loopback, with no secret in any log line', async () => {
    const res = await fetch(`${h.server.url}/healthz`);
    expect(res.status).toBe(200);
    expect((await fetch(`${h.server.url}/playback_status`)).status).toBe(200);
    for (const secret of secrets) expect(h.logs.text.includes(secret)).toBe(false);
  });
});
