import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { type ApiHandler, apiRoutes } from './api-routes.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { consentPage, coverArt, errorPage } from './consent-page.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from './demo-credentials.js';
import { behaviourAdmin, Outage } from './device-behaviour.js';
import { FaultQueue, validateFault } from './faults.js';
import {
  BodyError,
  matchRoute,
  readBody,
  sendAdminError,
  sendApiError,
  sendJson,
  sendNoContent,
  sendText,
} from './http.js';
import { PlaybackModel, PlayerError } from './playback.js';
import { StatsRecorder } from './stats.js';
import { type OAuthFailure, TokenAuthority, type TokenBody } from './token-authority.js';
import type { EmulatorOptions, EmulatorPlayback, FaultSpec, RunningEmulator } from './types.js';
import { Wire } from './wire.js';

const isFailure = (x: TokenBody | OAuthFailure | { confidential: boolean }): x is OAuthFailure =>
  'error' in x;

/** The emulator: one node:http server for Accounts (/api/token, /authorize), Web API (/v1) and /__emulator. */
class Emulator {
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly authority: TokenAuthority;
  readonly faults = new FaultQueue();
  /** A Web API outage window (device-behaviour.ts). */
  readonly outage: Outage;
  readonly stats = new StatsRecorder();
  catalog: Catalog;
  playback: PlaybackModel;
  private readonly server: Server;
  private readonly tokenLatencyMs: number;
  private readonly initialPlayback: 'paused' | 'playing' | 'none';
  private readonly sleepers = new Map<NodeJS.Timeout, () => void>();
  url = '';
  port = 0;

  constructor(private readonly options: EmulatorOptions) {
    const lifetime = options.tokenLifetimeSec ?? 3600;
    if (!(Number.isFinite(lifetime) && lifetime > 0)) {
      throw new RangeError('tokenLifetimeSec must be a positive number of seconds');
    }
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.tokenLatencyMs = options.tokenLatencyMs ?? 0;
    this.initialPlayback = options.initialPlayback ?? 'paused';
    this.authority = new TokenAuthority({
      clock: this.clock,
      tokenLifetimeSec: lifetime,
      rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      rotationGraceSec: options.rotationGraceSec ?? 0,
      ...(options.refreshTokenLifetimeSec === undefined
        ? {}
        : { refreshTokenLifetimeSec: options.refreshTokenLifetimeSec }),
      clientId: options.clientId ?? DEMO_CLIENT_ID,
      clientSecret: options.clientSecret ?? DEMO_CLIENT_SECRET,
      refreshTokens: options.refreshTokens ?? [DEMO_REFRESH_TOKEN],
      redirectUris: options.redirectUris,
    });
    this.catalog = buildCatalog();
    this.playback = new PlaybackModel(this.catalog, this.clock, this.initialPlayback);
    this.outage = new Outage(this.clock);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger?.error(
          { err: err instanceof Error ? err.message : String(err) },
          'emulator handler failed',
        );
        if (!res.headersSent) sendApiError(res, 500, 'Server error');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    this.url = `http://${urlHost}:${this.port}`;
    this.logger?.info({ url: this.url }, 'Spotify emulator listening');
  }

  async close(): Promise<void> {
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer);
      wake();
    }
    this.sleepers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  reset(): void {
    this.authority.reset();
    this.faults.clear();
    this.outage.end();
    this.stats.reset();
    this.catalog = buildCatalog();
    this.playback = new PlaybackModel(this.catalog, this.clock, this.initialPlayback);
  }

  /** Waits in real time (delays and latency are about the network, not the emulated clock). */
  private sleepReal(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve();
      }, ms);
      this.sleepers.set(timer, resolve);
    });
  }

  private origin(req: IncomingMessage): string {
    const host = req.headers.host;
    return host && /^[A-Za-z0-9.[\]:-]+$/.test(host) ? `http://${host}` : this.url;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (path === '/api/token') return this.token(req, res, method);
    if (path === '/authorize') return this.authorize(req, res, method, url);
    if (path.startsWith('/__emulator/')) return this.admin(req, res, method, path);
    if (path.startsWith('/v1/')) return this.api(req, res, method, url);
    sendApiError(res, 404, 'Service not found');
  }

  // ---- Accounts service -------------------------------------------------------------------

  private async token(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    this.stats.tokenStarted();
    let finished = false;
    res.on('close', () => {
      if (!finished) {
        finished = true;
        this.stats.tokenFinished();
      }
    });
    if (method !== 'POST') {
      this.stats.tokenError('method_not_allowed');
      sendJson(res, 405, { error: 'invalid_request', error_description: 'Only POST is supported' });
      return;
    }
    let params: URLSearchParams;
    try {
      params = new URLSearchParams(await readBody(req));
    } catch (err) {
      this.stats.tokenError('invalid_request');
      sendJson(res, err instanceof BodyError ? err.status : 400, {
        error: 'invalid_request',
        error_description: 'Unreadable request body',
      });
      return;
    }
    if (this.tokenLatencyMs > 0) await this.sleepReal(this.tokenLatencyMs);

    const fault = this.faults.take('token', method, '/api/token');
    if (fault && (await this.tokenFault(fault, req, res))) return;

    const grant = params.get('grant_type');
    const reply = (result: TokenBody | OAuthFailure) => {
      if (isFailure(result)) {
        this.stats.tokenError(result.error);
        sendJson(res, result.status, { error: result.error, error_description: result.description });
      } else {
        this.stats.tokenGranted(grant as 'refresh_token');
        sendJson(res, 200, result);
      }
    };
    if (!grant) {
      return reply({
        status: 400,
        error: 'unsupported_grant_type',
        description: 'grant_type parameter is missing',
      });
    }
    const client = this.authority.authenticate(req.headers.authorization, params);
    if (isFailure(client)) return reply(client);
    switch (grant) {
      case 'refresh_token':
        return reply(this.authority.refreshGrant(params.get('refresh_token')));
      case 'authorization_code':
        return reply(
          this.authority.codeGrant(
            params.get('code'),
            params.get('redirect_uri'),
            params.get('code_verifier'),
            client.confidential,
          ),
        );
      case 'client_credentials':
        return reply(this.authority.clientCredentialsGrant(client.confidential));
      default:
        return reply({
          status: 400,
          error: 'unsupported_grant_type',
          description: `grant_type parameter is invalid`,
        });
    }
  }

  /** Applies a token-endpoint fault; false when the request should then proceed normally. */
  private async tokenFault(fault: FaultSpec, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const record = (code: string) => this.stats.tokenError(code);
    switch (fault.kind) {
      case 'delay':
        await this.sleepReal(fault.delayMs ?? 1000);
        return false;
      case 'reset':
        record('reset');
        req.socket.destroy();
        return true;
      case 'status': {
        const status = fault.status ?? 503;
        record(`http_${status}`);
        sendJson(
          res,
          status,
          { error: 'server_error', error_description: 'Service unavailable' },
          fault.retryAfterSec === undefined ? undefined : { 'retry-after': String(fault.retryAfterSec) },
        );
        return true;
      }
      case 'rate_limit':
        record('http_429');
        sendJson(
          res,
          429,
          { error: 'rate_limited', error_description: 'Too many requests' },
          { 'retry-after': String(fault.retryAfterSec ?? 1) },
        );
        return true;
      case 'invalid_grant':
        record('invalid_grant');
        sendJson(res, 400, { error: 'invalid_grant', error_description: 'Refresh token revoked' });
        return true;
      case 'invalid_client':
        record('invalid_client');
        sendJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client' });
        return true;
      case 'malformed':
        record('malformed');
        sendText(res, 200, '{"access_token": "BQ', 'application/json');
        return true;
      case 'missing_fields':
        record('missing_fields');
        sendJson(res, 200, { token_type: 'Bearer', scope: '' });
        return true;
      default:
        return false;
    }
  }

  private async authorize(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: URL,
  ): Promise<void> {
    let params: URLSearchParams;
    if (method === 'GET') params = url.searchParams;
    else if (method === 'POST') params = new URLSearchParams(await readBody(req));
    else return sendText(res, 405, errorPage('Method not allowed'), 'text/html; charset=utf-8');

    if (params.get('client_id') !== this.authority.clientId) {
      return sendText(res, 400, errorPage('INVALID_CLIENT: Invalid client'), 'text/html; charset=utf-8');
    }
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!this.authority.isRedirectAllowed(redirectUri)) {
      return sendText(
        res,
        400,
        errorPage('INVALID_CLIENT: Invalid redirect URI'),
        'text/html; charset=utf-8',
      );
    }
    const back = (query: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
      const state = params.get('state');
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
      res.end();
    };
    if (params.get('response_type') !== 'code') {
      return back({ error: 'unsupported_response_type' });
    }
    const challenge = params.get('code_challenge') ?? '';
    const challengeMethod = params.get('code_challenge_method');
    if (challenge || challengeMethod) {
      if (challengeMethod !== 'S256') {
        return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      }
      if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
        return back({
          error: 'invalid_request',
          error_description: 'code_challenge is not a valid S256 challenge',
        });
      }
    }
    const scope = params.get('scope') ?? '';

    if (method === 'GET') {
      const scopes = scope.split(/\s+/).filter(Boolean);
      return sendText(
        res,
        200,
        consentPage(params, this.catalog.user.displayName, scopes),
        'text/html; charset=utf-8',
        {
          'cache-control': 'no-store',
        },
      );
    }
    if (params.get('decision') !== 'accept') return back({ error: 'access_denied' });
    const code = this.authority.createCode({ redirectUri, codeChallenge: challenge, scope });
    back({ code });
  }

  // ---- Web API -----------------------------------------------------------------------------

  private async api(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const match = matchRoute(apiRoutes, method, url.pathname);
    const endpoint =
      match && match !== 405
        ? `${method} ${match.route.template}`
        : `${method} ${match === 405 ? url.pathname : '(unmatched)'}`;
    let recorded = false;
    const record = (status: number | string) => {
      if (!recorded) {
        recorded = true;
        this.stats.apiCall(endpoint, status);
      }
    };
    res.on('finish', () => record(res.statusCode));
    res.on('close', () => record('reset'));

    let rawBody = '';
    try {
      rawBody = await readBody(req);
    } catch (err) {
      return sendApiError(res, err instanceof BodyError ? err.status : 400, 'Unreadable request body');
    }

    const outage = this.outage.current();
    if (outage?.mode === 'reset') return void req.socket.destroy();
    if (outage) return sendApiError(res, outage.status, 'Service unavailable');

    const fault = this.faults.take('api', method, url.pathname);
    if (fault && (await this.apiFault(fault, req, res))) return;

    const auth = req.headers.authorization;
    const bearer = auth && /^Bearer\s+(\S+)$/i.exec(auth.trim())?.[1];
    if (!bearer) return sendApiError(res, 401, 'No token provided');
    const check = this.authority.check(bearer);
    if (check === 'invalid' || check === 'expired') {
      this.stats.rejected(check);
      return sendApiError(
        res,
        401,
        check === 'expired' ? 'The access token expired' : 'Invalid access token',
      );
    }

    if (match === undefined) return sendApiError(res, 404, 'Service not found');
    if (match === 405) return sendApiError(res, 405, 'Method not allowed');

    let body: unknown;
    if (rawBody.trim().length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return sendApiError(res, 400, 'Error parsing json');
      }
    }
    try {
      (match.route.handler as ApiHandler)({
        res,
        params: match.params,
        query: url.searchParams,
        body,
        catalog: this.catalog,
        playback: this.playback,
        wire: new Wire(this.catalog, this.origin(req), this.options.developmentMode ?? false),
        selfUrl: `${this.origin(req)}${url.pathname}`,
        tokenKind: check === 'ok' ? 'user' : 'app',
        developmentMode: this.options.developmentMode ?? false,
      });
    } catch (err) {
      if (err instanceof PlayerError) return sendApiError(res, err.status, err.message, err.reason);
      throw err;
    }
  }

  private async apiFault(fault: FaultSpec, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (fault.kind) {
      case 'delay':
        await this.sleepReal(fault.delayMs ?? 1000);
        return false;
      case 'reset':
        req.socket.destroy();
        return true;
      case 'status': {
        const status = fault.status ?? 503;
        sendApiError(res, status, status === 503 ? 'Service unavailable' : 'Server error');
        return true;
      }
      case 'rate_limit':
        sendApiError(res, 429, 'API rate limit exceeded', undefined, {
          'retry-after': String(fault.retryAfterSec ?? 1),
        });
        return true;
      case 'invalid_grant':
      case 'invalid_client':
      case 'unauthorized':
        sendApiError(res, 401, 'The access token expired');
        return true;
      case 'malformed':
        sendText(res, 200, '{"device": {"id": ', 'application/json; charset=utf-8');
        return true;
      case 'missing_fields':
        sendJson(res, 200, {});
        return true;
      default:
        return false;
    }
  }

  // ---- Admin (/__emulator) -----------------------------------------------------------------

  private async admin(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
  ): Promise<void> {
    const art = /^\/__emulator\/art\/([A-Za-z0-9_-]+)\.svg$/.exec(path);
    if (art && method === 'GET') {
      return sendText(res, 200, coverArt(art[1]!), 'image/svg+xml', {
        'cache-control': 'public, max-age=86400',
      });
    }
    let body: Record<string, unknown> = {};
    if (method === 'POST' || method === 'PUT') {
      const text = await readBody(req).catch(() => undefined);
      if (text === undefined) return sendAdminError(res, 400, 'Unreadable request body', 'body');
      if (text.trim()) {
        try {
          const parsed = JSON.parse(text) as unknown;
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
            return sendAdminError(res, 400, 'Body must be a JSON object', 'body');
          }
          body = parsed as Record<string, unknown>;
        } catch {
          return sendAdminError(res, 400, 'Malformed JSON body', 'body');
        }
      }
    }
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /__emulator/stats':
        return sendJson(res, 200, this.stats.snapshot(this.faults.size()));
      case 'POST /__emulator/faults': {
        const specs = Array.isArray(body.faults) ? (body.faults as unknown[]) : [body];
        const checked = specs.map((s) => validateFault(s));
        const bad = checked.find((c) => 'message' in c);
        if (bad && 'message' in bad) return sendAdminError(res, 400, bad.message, bad.field);
        for (const c of checked) if ('spec' in c) this.faults.add(c.spec);
        return sendJson(res, 200, { faultsPending: this.faults.size() });
      }
      case 'DELETE /__emulator/faults':
        this.faults.clear();
        return sendJson(res, 200, { faultsPending: 0 });
      case 'POST /__emulator/revoke': {
        if (body.refresh_token !== undefined && typeof body.refresh_token !== 'string') {
          return sendAdminError(res, 400, 'refresh_token must be a string', 'refresh_token');
        }
        if (body.access_tokens_only !== undefined && typeof body.access_tokens_only !== 'boolean') {
          return sendAdminError(res, 400, 'access_tokens_only must be a boolean', 'access_tokens_only');
        }
        if (typeof body.refresh_token === 'string') this.authority.revokeRefreshTokens(body.refresh_token);
        else if (body.access_tokens_only === true) this.authority.revokeAccessTokens();
        else {
          this.authority.revokeRefreshTokens();
          this.authority.revokeAccessTokens();
        }
        return sendNoContent(res);
      }
      case 'POST /__emulator/reset':
        this.reset();
        return sendNoContent(res);
      case 'POST /__emulator/tokens': {
        const t = this.authority.issueUserTokens();
        return sendJson(res, 200, {
          access_token: t.accessToken,
          token_type: 'Bearer',
          expires_in: t.expiresIn,
          refresh_token: t.refreshToken,
        });
      }
      case 'GET /__emulator/playback':
        return sendJson(res, 200, { playback: this.playbackCopy() });
      case 'DELETE /__emulator/playback':
        this.playback.clear();
        return sendNoContent(res);
    }
    const behaviour = behaviourAdmin(method, path, body, {
      outage: this.outage,
      behaviours: this.playback.behaviours,
      findDevice: (x) => this.catalog.devices.find((d) => d.id === x || d.name === x),
      deviceChanged: (d) => this.playback.deviceChanged(d),
      personPauses: () => this.playback.personPauses(),
    });
    if (behaviour) {
      return behaviour.body === undefined
        ? sendNoContent(res)
        : sendJson(res, behaviour.status, behaviour.body);
    }
    const device = /^\/__emulator\/devices\/([^/]+)$/.exec(path);
    if (device && method === 'POST') {
      if (typeof body.available !== 'boolean') {
        return sendAdminError(res, 400, 'available must be a boolean', 'available');
      }
      if (!this.setDeviceAvailable(decodeURIComponent(device[1]!), body.available)) {
        return sendAdminError(res, 404, 'Unknown device', 'id');
      }
      return sendNoContent(res);
    }
    sendAdminError(res, 404, `No emulator route ${route}`);
  }

  playbackCopy(): EmulatorPlayback | null {
    const snap = this.playback.snapshot();
    if (!snap) return null;
    const { timestamp: _t, trackId: _id, ...rest } = snap;
    return rest;
  }

  /** A device of the account by id or name, or a RangeError. */
  mustFindDevice(idOrName: string) {
    const device = this.catalog.devices.find((d) => d.id === idOrName || d.name === idOrName);
    if (!device) throw new RangeError(`unknown device ${idOrName}`);
    return device;
  }

  setDeviceAvailable(id: string, available: boolean): boolean {
    const device = this.catalog.devices.find((d) => d.id === id);
    if (!device) return false;
    device.available = available;
    this.playback.deviceChanged(device);
    return true;
  }
}

/** Starts the emulator's HTTP server (Accounts + Web API + /__emulator admin routes). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = new Emulator(options);
  await emu.listen();
  return {
    get url() {
      return emu.url;
    },
    get port() {
      return emu.port;
    },
    close: () => emu.close(),
    stats: () => emu.stats.snapshot(emu.faults.size()),
    injectFault: (fault) => emu.faults.add(fault),
    clearFaults: () => emu.faults.clear(),
    revokeRefreshTokens: (token) => emu.authority.revokeRefreshTokens(token),
    revokeAccessTokens: () => emu.authority.revokeAccessTokens(),
    issueAccessToken: () => emu.authority.issueUserTokens(),
    validRefreshTokens: () => emu.authority.validRefreshTokens(),
    acceptsRefreshToken: (token) => emu.authority.acceptsRefreshToken(token),
    playback: () => emu.playbackCopy(),
    stopPlayback: () => emu.playback.clear(),
    devices: () => emu.catalog.devices.map((d) => ({ id: d.id, name: d.name, available: d.available })),
    setDeviceAvailable: (id, available) => {
      if (!emu.setDeviceAvailable(id, available)) throw new RangeError(`unknown device ${id}`);
    },
    reset: () => emu.reset(),
    configureDevice: (id, behaviour) =>
      emu.playback.behaviours.configure(emu.mustFindDevice(id).id, behaviour),
    setDeviceIdle: (id, idle) => {
      const device = emu.mustFindDevice(id);
      emu.playback.behaviours.setIdle(device, idle);
      emu.playback.deviceChanged(device);
    },
    deviceVolume: (id) => emu.playback.behaviours.actual(emu.mustFindDevice(id).id) ?? 0,
    personSetsVolume: (id, percent) => emu.playback.behaviours.record(emu.mustFindDevice(id).id, percent),
    personPauses: () => emu.playback.personPauses(),
    startOutage: (spec) => emu.outage.start(spec),
    endOutage: () => emu.outage.end(),
  };
}
