import type { RunningEmulator } from '../emulator/types.js';
import type { AccountsClient } from '../spotify/accounts-client.js';
import type { SpotifyWebApi } from '../spotify/web-api-client.js';
import type { TokenCache } from '../token/token-cache.js';
import type { TokenStore } from '../token/types.js';

/** The Spotify app a link talks to: the demo emulator's, or one the user registered. */
export interface SpotifyApp {
  clientId: string;
  /** Absent for a public (PKCE-only) app. */
  clientSecret?: string | undefined;
}

/** One set of Spotify parts: accounts client, token store and cache, Web API client. */
export interface SpotifyLink {
  mode: 'demo' | 'spotify';
  app: SpotifyApp;
  accounts: AccountsClient;
  store: TokenStore;
  tokenCache: TokenCache;
  spotify: SpotifyWebApi;
  /** The refresh token the cache was seeded with (demo token, or SPOTIFY_REFRESH_TOKEN). */
  seedRefreshToken: string | undefined;
  /** The embedded emulator a demo link runs on. */
  emulator?: RunningEmulator | undefined;
  /** Stops the cache, closes the store (and the emulator). */
  close(): Promise<void>;
}

/**
 * The server's one connection to Spotify, swappable while running: first-run setup turns the demo
 * link (embedded emulator) into a link to the user's Spotify app without a restart. Routes, the
 * alarm scheduler and the sleep timer hold the stable `tokenCache`, `spotify` and `accounts`
 * objects below, which forward every call to the current link, so none of them is rebuilt.
 * Event listeners are per link: subscribe in the link builder, not through these objects.
 */
export class SpotifyConnection {
  /** Forwards to the current link's token cache. */
  readonly tokenCache: TokenCache;
  /** Forwards to the current link's Web API client. */
  readonly spotify: SpotifyWebApi;
  /** Forwards to the current link's accounts client. */
  readonly accounts: AccountsClient;
  private switching: Promise<void> | undefined;

  constructor(
    private link: SpotifyLink,
    private readonly connect: (app: SpotifyApp) => Promise<SpotifyLink>,
  ) {
    this.tokenCache = forwardTo(() => this.link.tokenCache);
    this.spotify = forwardTo(() => this.link.spotify);
    this.accounts = forwardTo(() => this.link.accounts);
  }

  /** 'demo' while on the embedded emulator. */
  get mode(): 'demo' | 'spotify' {
    return this.link.mode;
  }

  /** The current link (its emulator, store kind, app). */
  get current(): SpotifyLink {
    return this.link;
  }

  /**
   * Switches to `app`: builds the new link first (a failure leaves the old one running), then swaps
   * and closes the old one. Calls made during the swap finish on the link they started on.
   */
  async switchTo(app: SpotifyApp): Promise<void> {
    // One switch at a time: a second caller waits and then switches again.
    while (this.switching) await this.switching.catch(() => {});
    const run = (async () => {
      const next = await this.connect(app);
      const old = this.link;
      this.link = next;
      await old.close();
    })();
    this.switching = run;
    try {
      await run;
    } finally {
      this.switching = undefined;
    }
  }

  /** Closes the current link. */
  async close(): Promise<void> {
    await this.switching?.catch(() => {});
    await this.link.close();
  }
}

/**
 * An object that forwards property reads (methods bound) to `target()`, read at each call. Used
 * instead of hand-written wrappers so the wide client classes stay one declaration.
 */
function forwardTo<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get(_shell, prop) {
      const t = target();
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
    has(_shell, prop) {
      return Reflect.has(target(), prop);
    },
  });
}
