/**
 * The emulator's answers checked against the response schemas of Spotify's published OpenAPI
 * description (fixtures/spotify-openapi.json: a trimmed copy of sonallux/spotify-web-api's
 * fixed-spotify-open-api.yml, MIT; see fixtures/README.md). A field the music views read that the
 * emulator sends in another shape, or a required one it leaves out, fails here.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

const spec = JSON.parse(
  readFileSync(new URL('./fixtures/spotify-openapi.json', import.meta.url), 'utf8'),
) as Spec;

// OpenAPI 3.0 schemas are JSON Schema plus `nullable` (Ajv knows it) and a few annotations.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(spec, 'spotify');

/** The JSON pointer of an operation's response schema, following a `$ref` to a shared response. */
function responseSchemaRef(path: string, method: string, status: number): string {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`the fixture has no ${method.toUpperCase()} ${path}`);
  let response = op.responses[String(status)] as { $ref?: string; content?: unknown } | undefined;
  // Most operations leave 404 out; Spotify answers it with the shared NotFound body.
  if (!response && status === 404) response = { $ref: '#/components/responses/NotFound' };
  if (!response) throw new Error(`${method.toUpperCase()} ${path} documents no ${status} answer`);
  let pointer = `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${status}`;
  if (response.$ref) {
    pointer = response.$ref;
    const name = pointer.split('/').pop()!;
    response = (spec as unknown as { components: { responses: Record<string, typeof response> } }).components
      .responses[name];
  }
  if (!response?.content) throw new Error(`${method.toUpperCase()} ${path} ${status} has no body schema`);
  return `spotify${pointer}/content/application~1json/schema`;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}

let dev: RunningEmulator;
let extended: RunningEmulator;
beforeAll(async () => {
  [dev, extended] = await Promise.all([
    startEmulator({ port: 0, developmentMode: true }),
    startEmulator({ port: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.close(), extended?.close()]);
});

async function get(emu: RunningEmulator, pathAndQuery: string, method = 'GET') {
  const token = emu.issueAccessToken().accessToken;
  const res = await fetch(`${emu.url}/v1${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** An id from the catalogue, read through the API like a client would. */
async function someId(emu: RunningEmulator, kind: 'artist' | 'track'): Promise<string> {
  const { body } = await get(emu, `/search?q=the&type=${kind}&limit=1`);
  const page = (body as Record<string, { items: { id: string }[] }>)[`${kind}s`]!;
  return page.items[0]!.id;
}

type Case = [label: string, template: string, url: (emu: RunningEmulator) => Promise<string>, status: number];

const cases: Case[] = [
  ['the queue', '/me/player/queue', async () => '/me/player/queue', 200],
  ['recently played', '/me/player/recently-played', async () => '/me/player/recently-played?limit=5', 200],
  [
    'recently played, an older page',
    '/me/player/recently-played',
    async () => `/me/player/recently-played?limit=5&before=${Date.UTC(2026, 10, 29)}`,
    200,
  ],
  ['top tracks', '/me/top/tracks', async () => '/me/top/tracks?time_range=short_term&limit=3', 200],
  ['top artists', '/me/top/artists', async () => '/me/top/artists?time_range=long_term&limit=3', 200],
  ['an artist', '/artists/{id}', async (emu) => `/artists/${await someId(emu, 'artist')}`, 200],
  [
    "an artist's albums",
    '/artists/{id}/albums',
    async (emu) => `/artists/${await someId(emu, 'artist')}/albums?include_groups=album,single,compilation`,
    200,
  ],
  ['search, every type', '/search', async () => '/search?q=the&type=track,album,artist,playlist', 200],
  ['search, a second page', '/search', async () => '/search?q=the&type=track&limit=5&offset=5', 200],
  [
    'library contains',
    '/me/library/contains',
    async (emu) => `/me/library/contains?uris=spotify:track:${await someId(emu, 'track')}`,
    200,
  ],
  ['liked songs', '/me/tracks', async () => '/me/tracks?limit=3', 200],
  ['followed artists', '/me/following', async () => '/me/following?type=artist&limit=3', 200],
  ['playback state', '/me/player', async () => '/me/player', 200],
  ['devices', '/me/player/devices', async () => '/me/player/devices', 200],
  ['an unknown artist (404 body)', '/artists/{id}', async () => '/artists/0000000000000000000000', 404],
];

describe("the emulator answers in the shapes of Spotify's OpenAPI description", () => {
  for (const [mode, emuOf] of [
    ['Development Mode', () => dev],
    ['Extended Quota', () => extended],
  ] as const) {
    describe(mode, () => {
      for (const [label, template, url, status] of cases) {
        it(`${label}: GET ${template} ${status}`, async () => {
          const emu = emuOf();
          const answer = await get(emu, await url(emu));
          expect(answer.status).toBe(status);
          const validate = ajv.getSchema(responseSchemaRef(template, 'get', status))!;
          expect(validate(answer.body), describeErrors(validate.errors)).toBe(true);
        });
      }
    });
  }

  it("Development Mode apps get 403 with Spotify's error body from the removed top-tracks", async () => {
    const answer = await get(dev, `/artists/${await someId(dev, 'artist')}/top-tracks`);
    expect(answer.status).toBe(403);
    const validate = ajv.getSchema(responseSchemaRef('/artists/{id}/top-tracks', 'get', 403))!;
    expect(validate(answer.body), describeErrors(validate.errors)).toBe(true);
  });

  it('top-tracks answers its documented shape where it still exists', async () => {
    const answer = await get(extended, `/artists/${await someId(extended, 'artist')}/top-tracks`);
    expect(answer.status).toBe(200);
    const validate = ajv.getSchema(responseSchemaRef('/artists/{id}/top-tracks', 'get', 200))!;
    expect(validate(answer.body), describeErrors(validate.errors)).toBe(true);
  });

  it('saving to /me/library answers 200, a bad URI 400 with the error body', async () => {
    const track = await someId(dev, 'track');
    expect((await get(dev, `/me/library?uris=spotify:track:${track}`, 'PUT')).status).toBe(200);
    const bad = await get(dev, '/me/library?uris=spotify:track:not-an-id!', 'PUT');
    expect(bad.status).toBe(400);
    // The reference gives this 400 the ErrorObject itself as its schema; Spotify (and so the
    // emulator) wraps it in {"error": …} as for every other error, so the inner object is checked.
    const validate = ajv.getSchema(responseSchemaRef('/me/library', 'put', 400))!;
    const inner = (bad.body as { error: unknown }).error;
    expect(validate(inner), describeErrors(validate.errors)).toBe(true);
  });

  it('the check itself fails on a wrong shape (a paging object without total)', async () => {
    const answer = await get(dev, '/me/top/tracks?limit=1');
    const { total: _dropped, ...broken } = answer.body as Record<string, unknown>;
    const validate = ajv.getSchema(responseSchemaRef('/me/top/tracks', 'get', 200))!;
    expect(validate(broken)).toBe(false);
  });
});
