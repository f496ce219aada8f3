import type { FastifyPluginAsync } from 'fastify';
import type { Device } from '../../spotify/types.js';
import type { AppDeps } from '../deps.js';
import { badRequest } from '../errors.js';

const deviceId = { type: 'string', minLength: 1, maxLength: 128 } as const;
const contextUri = {
  type: 'string',
  maxLength: 256,
  pattern:
    '^spotify:(album|artist|playlist|show|user:[A-Za-z0-9._-]+:(collection|playlist:[A-Za-z0-9]+))(:[A-Za-z0-9]+)?$',
} as const;
const trackUri = {
  type: 'string',
  maxLength: 128,
  pattern: '^spotify:(track|episode):[A-Za-z0-9]+$',
} as const;

/** Optional body `{device_id?}` of pause/next/previous. */
const deviceBody = {
  type: ['object', 'null'],
  properties: { device_id: deviceId },
  additionalProperties: false,
} as const;

const playBody = {
  type: ['object', 'null'],
  properties: {
    context_uri: contextUri,
    uris: { type: 'array', items: trackUri, minItems: 1, maxItems: 100 },
    device_id: deviceId,
    device: { type: 'string', minLength: 1, maxLength: 128 },
    offset: {
      type: 'object',
      properties: { position: { type: 'integer', minimum: 0 }, uri: trackUri },
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
    },
    position_ms: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
} as const;

const volumeBody = {
  type: 'object',
  properties: { volume: { type: 'integer', minimum: 0, maximum: 100 }, device_id: deviceId },
  required: ['volume'],
  additionalProperties: false,
} as const;

const shuffleBody = {
  type: 'object',
  properties: { state: { type: 'boolean' }, device_id: deviceId },
  required: ['state'],
  additionalProperties: false,
} as const;

const transferBody = {
  type: 'object',
  properties: { device_id: deviceId, play: { type: 'boolean' } },
  required: ['device_id'],
  additionalProperties: false,
} as const;

/** `?saved=1`: also say whether the current track is in Liked Songs (the page's first look). */
const statusQuery = {
  type: 'object',
  properties: { saved: { type: 'string', enum: ['0', '1'] } },
} as const;

interface PlayInput {
  context_uri?: string;
  uris?: string[];
  device_id?: string;
  device?: string;
  offset?: { position: number } | { uri: string };
  position_ms?: number;
}

/** Playback state, devices and the player commands. Commands answer 204. */
export const playbackRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const spotify = deps.spotify;

  app.get<{ Querystring: { saved?: string } }>(
    '/playback_status',
    { schema: { querystring: statusQuery } },
    async (request) => {
      const state = await spotify.getPlaybackState();
      if (!state) return { is_playing: false, item: null, device: null, nothing_playing: true };
      if (request.query.saved !== '1') return state;
      // One answer for the page's first view: the heart beside the track needs no request of its own.
      return { ...state, item_saved: await savedOrNull(state.item?.uri) };
    },
  );

  /** Whether a track is in Liked Songs; null for other items, or when Spotify does not say. */
  const savedOrNull = async (uri: string | undefined): Promise<boolean | null> => {
    if (!uri?.startsWith('spotify:track:')) return null;
    try {
      return (await spotify.libraryContains([uri]))[0] === true;
    } catch {
      // No library scope yet, or Spotify busy: the page asks again when the heart is tapped.
      return null;
    }
  };

  app.get('/api/devices', async () => ({ devices: await spotify.getDevices() }));

  app.post('/api/playback/play', { schema: { body: playBody } }, async (request, reply) => {
    const body = (request.body ?? {}) as PlayInput;
    if (body.context_uri && body.uris) {
      throw badRequest('Give either context_uri or uris, not both.', 'uris');
    }
    if (body.device_id && body.device)
      throw badRequest('Give either device_id or device, not both.', 'device');
    const device = body.device
      ? await resolveDevice(await spotify.getDevices(), body.device)
      : body.device_id;
    await spotify.play({
      ...(device ? { deviceId: device } : {}),
      ...(body.context_uri ? { contextUri: body.context_uri } : {}),
      ...(body.uris ? { uris: body.uris } : {}),
      ...(body.offset ? { offset: body.offset } : {}),
      ...(body.position_ms !== undefined ? { positionMs: body.position_ms } : {}),
    });
    return reply.status(204).send();
  });

  for (const command of ['pause', 'next', 'previous'] as const) {
    app.post(`/api/playback/${command}`, { schema: { body: deviceBody } }, async (request, reply) => {
      const body = (request.body ?? {}) as { device_id?: string };
      await spotify[command](body.device_id);
      return reply.status(204).send();
    });
  }

  app.put('/api/playback/volume', { schema: { body: volumeBody } }, async (request, reply) => {
    const body = request.body as { volume: number; device_id?: string };
    await spotify.setVolume(body.volume, body.device_id);
    return reply.status(204).send();
  });

  app.put('/api/playback/shuffle', { schema: { body: shuffleBody } }, async (request, reply) => {
    const body = request.body as { state: boolean; device_id?: string };
    await spotify.setShuffle(body.state, body.device_id);
    return reply.status(204).send();
  });

  app.put('/api/playback/device', { schema: { body: transferBody } }, async (request, reply) => {
    const body = request.body as { device_id: string; play?: boolean };
    await spotify.transferPlayback(body.device_id, body.play);
    return reply.status(204).send();
  });
};

/** A device by id, or else by name (case-insensitive); 400 naming `device` when none matches. */
function resolveDevice(devices: Device[], wanted: string): string {
  const byId = devices.find((d) => d.id === wanted);
  const byName = devices.find((d) => d.name.toLowerCase() === wanted.toLowerCase());
  const found = byId ?? byName;
  if (!found?.id) {
    const names = devices.map((d) => d.name).join(', ') || 'none';
    throw badRequest(`No available device called "${wanted}" (available: ${names}).`, 'device');
  }
  return found.id;
}
