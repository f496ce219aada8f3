import type { ServerResponse } from 'node:http';
import type { Catalog } from './catalog.js';
import { type PlaybackModel, PlayerError } from './playback.js';
import type { Wire } from './wire.js';

/** What a Web API handler gets. Throw PlayerError (or ApiError) to answer with Spotify's error body. */
export interface ApiContext {
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body, undefined when there was none. */
  body: unknown;
  catalog: Catalog;
  playback: PlaybackModel;
  wire: Wire;
  /** The request URL without query, on the emulator's origin (for paging hrefs). */
  selfUrl: string;
  tokenKind: 'user' | 'app';
  /** Serve what Spotify serves Development Mode apps since February 2026 (see EmulatorOptions). */
  developmentMode: boolean;
}

export type ApiHandler = (ctx: ApiContext) => void;

export const badRequest = (message: string) => new PlayerError(400, message);

/** `limit`/`offset` of an offset-paged request, checked as Spotify does. */
export function pageParams(
  query: URLSearchParams,
  defaultLimit = 20,
  maxLimit = 50,
): { limit: number; offset: number } {
  const rawLimit = query.get('limit');
  const rawOffset = query.get('offset');
  const limit = rawLimit === null ? defaultLimit : Number(rawLimit);
  const offset = rawOffset === null ? 0 : Number(rawOffset);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw badRequest('Invalid limit');
  if (!Number.isInteger(offset) || offset < 0 || offset > 100_000) throw badRequest('Invalid offset');
  return { limit, offset };
}

/** A paging object over `records` for the request's limit/offset. */
export function offsetPage<R, T>(
  ctx: ApiContext,
  records: R[],
  map: (r: R) => T,
  extra: Record<string, string> = {},
  limits: { defaultLimit: number; maxLimit: number } = { defaultLimit: 20, maxLimit: 50 },
) {
  const { limit, offset } = pageParams(ctx.query, limits.defaultLimit, limits.maxLimit);
  const items = records.slice(offset, offset + limit).map(map);
  return ctx.wire.page(ctx.selfUrl, items, offset, limit, records.length, extra);
}

/** The `device_id` query parameter, if any. */
export function optionalDevice(query: URLSearchParams): string | undefined {
  const id = query.get('device_id');
  return id === null || id === '' ? undefined : id;
}

/** Endpoints Spotify closed to Development Mode apps in February 2026 answer them 403. */
export function refuseInDevelopmentMode(ctx: ApiContext): void {
  if (ctx.developmentMode) throw new PlayerError(403, 'Forbidden');
}

/** User endpoints refuse client-credentials tokens. */
export function requireUser(ctx: ApiContext): void {
  if (ctx.tokenKind !== 'user') throw new PlayerError(401, 'Valid user authentication required');
}

/** The parsed JSON object body (`{}` when none). */
export function jsonBody(ctx: ApiContext): Record<string, unknown> {
  if (ctx.body === undefined) return {};
  if (!ctx.body || typeof ctx.body !== 'object' || Array.isArray(ctx.body))
    throw badRequest('Malformed json');
  return ctx.body as Record<string, unknown>;
}
