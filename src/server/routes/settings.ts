import type { FastifyPluginAsync } from 'fastify';
import type { SpotifyUser } from '../../spotify/types.js';
import { accessControlEnabled } from '../access.js';
import type { AppDeps } from '../deps.js';
import { HttpError, toHttpError } from '../errors.js';

/** `GET /api/settings/account`: who is connected and how the token stands. Never a token. */
export interface AccountView {
  mode: 'demo' | 'spotify';
  /** A refresh token is held and Spotify has not asked for a new login. */
  connected: boolean;
  user: {
    id: string;
    display_name: string | null;
    avatar: string | null;
    /** `premium`, `free`…; null when Spotify does not say (Development Mode apps since 2026). */
    product: string | null;
    /** Playback control needs Premium; null when unknown. */
    premium: boolean | null;
  } | null;
  /** Why `user` is missing although connected (Spotify unreachable, …). */
  user_error: string | null;
  token: { state: string; refresh_token_fingerprint: string | null };
  /** When this login stops working (Spotify's refresh-token lifetime), from the token cache. */
  login_expires_at: string | null;
  /** Where SPOTIFY_REFRESH_TOKEN is set, if it is: Disconnect lasts only until the next restart then. */
  refresh_token_source: string | null;
}

/**
 * The settings page's API: `GET/PATCH /api/settings` (runtime settings, locked ones named with
 * their source), `GET /api/settings/account` and `POST /api/settings/account/disconnect`.
 */
export const settingsRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const settings = deps.settings;
  if (!settings) return;

  // Whether a SpotiPi password protects this server: the page offers "log out" only then.
  const access = () => ({ protected: accessControlEnabled(deps.config.access) });

  app.get('/api/settings', async () => ({ ...settings.view(), access: access() }));

  app.patch('/api/settings', async (request) => ({
    ...(await settings.update(request.body ?? {})),
    access: access(),
  }));

  app.get('/api/settings/account', async (request): Promise<AccountView> => {
    const snap = deps.tokenCache.snapshot();
    const connected = snap.refresh_token.present && snap.state !== 'reauthorization_required';
    let user: AccountView['user'] = null;
    let userError: string | null = null;
    if (connected) {
      try {
        user = userView(await deps.spotify.getCurrentUser());
      } catch (err) {
        const httpErr = toHttpError(err);
        if (httpErr.status !== 401) {
          request.log.info({ status: httpErr.status }, 'account: profile unavailable');
          userError = httpErr.message;
        }
      }
    }
    const after = deps.tokenCache.snapshot();
    return {
      mode: deps.config.mode,
      connected: after.refresh_token.present && after.state !== 'reauthorization_required',
      user,
      user_error: userError,
      token: { state: String(after.state), refresh_token_fingerprint: after.refresh_token.fingerprint },
      login_expires_at: after.login?.expires_at ?? null,
      refresh_token_source: deps.config.sources.SPOTIFY_REFRESH_TOKEN ?? null,
    };
  });

  app.post('/api/settings/account/disconnect', async (request) => {
    if (deps.config.mode === 'demo') {
      throw new HttpError(
        409,
        'The demo account cannot be disconnected; set up your own Spotify app first.',
        {
          i18n: { key: 'error.account.demo' },
        },
      );
    }
    await deps.tokenCache.forgetRefreshToken();
    request.log.info('Spotify disconnected by the user; refresh token forgotten');
    return { ok: true, state: deps.tokenCache.snapshot().state };
  });
};

function userView(me: SpotifyUser): NonNullable<AccountView['user']> {
  const images = [...(me.images ?? [])].sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  const avatar = (images.find((i) => (i.width ?? 0) >= 64) ?? images[images.length - 1])?.url ?? null;
  const product = typeof me.product === 'string' ? me.product : null;
  return {
    id: me.id,
    display_name: me.display_name,
    avatar,
    product,
    premium: product === null ? null : product === 'premium',
  };
}
