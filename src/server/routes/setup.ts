import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SETUP_SOURCE } from '../../config/load.js';
import { checkSpotifyApp } from '../../setup/check-app.js';
import { clientAddresses, setupRefusal } from '../../setup/guard.js';
import { writeSpotifyApp } from '../../setup/spotify-app-file.js';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../errors.js';

const setupBody = {
  type: 'object',
  properties: {
    client_id: { type: 'string', minLength: 1, maxLength: 128 },
    client_secret: { type: 'string', maxLength: 128 },
  },
  required: ['client_id'],
  additionalProperties: false,
} as const;

/** `GET /api/setup`: what the setup page shows. */
export interface SetupView {
  mode: 'demo' | 'spotify';
  /** Where the client id comes from, when there is one (`setup`, `environment`, …). */
  client_id_source: string | null;
  /** The exact redirect URI to register in the Spotify dashboard. */
  redirect_uri: string;
  /** Setup may run from this client; otherwise `refusal` says why and how. */
  allowed: boolean;
  refusal: string | null;
}

/**
 * First-run setup without a terminal: `GET /api/setup` and `POST /api/setup {client_id,
 * client_secret?}`, which checks the app against Spotify's token endpoint, saves it in the state
 * dir (0600) and switches the running server from the demo emulator to it; the page then
 * continues into the Spotify login.
 */
export const setupRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const connection = deps.connection;
  if (!connection) return;

  const refusal = (request: FastifyRequest) =>
    setupRefusal(deps.config, clientAddresses(request.ip, request.headers['x-forwarded-for']));

  app.get('/api/setup', async (request): Promise<SetupView> => {
    const refused = refusal(request);
    return {
      mode: deps.config.mode,
      client_id_source: deps.config.sources.SPOTIFY_CLIENT_ID ?? null,
      redirect_uri: deps.login.redirectUri,
      allowed: refused === undefined,
      refusal: refused ?? null,
    };
  });

  app.post('/api/setup', { schema: { body: setupBody } }, async (request) => {
    const refused = refusal(request);
    if (refused) throw new HttpError(403, refused, { i18n: { key: 'error.setup.remote' } });
    const source = deps.config.sources.SPOTIFY_CLIENT_ID;
    if (source !== undefined && source !== SETUP_SOURCE) {
      throw new HttpError(409, `SPOTIFY_CLIENT_ID is set in the ${source}; change it there.`, {
        field: 'client_id',
        i18n: { key: 'error.setup.locked', params: { source } },
      });
    }
    const body = request.body as { client_id: string; client_secret?: string };
    const clientId = body.client_id.trim();
    const clientSecret = body.client_secret?.trim() || undefined;
    const check = await checkSpotifyApp({
      accountsUrl: deps.config.spotify.accountsUrl,
      clientId,
      clientSecret,
      timeoutMs: deps.config.tokenCache.refreshTimeoutMs,
    });
    if (!check.ok) {
      throw new HttpError(check.field === 'accounts' ? 502 : 400, check.message, {
        ...(check.field === 'accounts' ? {} : { field: check.field }),
        i18n: { key: check.key },
      });
    }
    await writeSpotifyApp(deps.config.stateDir, {
      client_id: clientId,
      ...(clientSecret ? { client_secret: clientSecret } : {}),
      configured_at: new Date(deps.clock.now()).toISOString(),
    });
    await connection.switchTo({ clientId, clientSecret });
    // The running configuration follows, so /healthz and the page leave demo mode now.
    deps.config.mode = 'spotify';
    deps.config.spotify.clientId = clientId;
    deps.config.spotify.clientSecret = clientSecret;
    deps.config.sources.SPOTIFY_CLIENT_ID = SETUP_SOURCE;
    request.log.info({ confidential: check.confidential }, 'Spotify app set up; left demo mode');
    return {
      ok: true,
      mode: deps.config.mode,
      redirect_uri: deps.login.redirectUri,
      login_url: '/login',
    };
  });
};
