import type { AuthorizationResult, CallbackParams } from '../spotify/accounts-client.js';
import { createPkcePair, createState } from '../spotify/pkce.js';
import type { Clock } from '../token/types.js';
import type { ServerAccounts } from './deps.js';
import { badRequest } from './errors.js';

/** A login started but not yet completed. */
interface PendingLogin {
  codeVerifier: string;
  startedAt: number;
}

export interface LoginFlowOptions {
  accounts: ServerAccounts;
  /** Where Spotify sends the browser back; a function when it is known only after listening. */
  redirectUri: string | (() => string);
  scopes: readonly string[];
  clock: Clock;
  /** Receives the new grant (persist the refresh token). */
  onAuthorized: (result: AuthorizationResult) => Promise<void>;
  /** How long a started login stays valid; default 15 minutes. */
  ttlMs?: number;
  /** Most logins pending at once (oldest dropped); default 20. */
  maxPending?: number;
}

/**
 * The authorization-code + PKCE login: `start()` makes the authorize URL with a fresh `state`
 * and verifier; `complete()` checks the `state` that comes back, exchanges the code and hands
 * the grant on. Works for the browser redirect and for a pasted-back redirect URL alike.
 */
export class LoginFlow {
  private readonly pending = new Map<string, PendingLogin>();
  private readonly ttlMs: number;
  private readonly maxPending: number;

  constructor(private readonly options: LoginFlowOptions) {
    this.ttlMs = options.ttlMs ?? 15 * 60_000;
    this.maxPending = options.maxPending ?? 20;
  }

  /** The redirect URI Spotify sends the browser back to. */
  get redirectUri(): string {
    const r = this.options.redirectUri;
    return typeof r === 'function' ? r() : r;
  }

  /** Starts a login: returns the Spotify authorize URL to open. */
  start(): { authorizeUrl: string; state: string } {
    this.expire();
    while (this.pending.size >= this.maxPending) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      this.pending.delete(oldest);
    }
    const { codeVerifier, codeChallenge } = createPkcePair();
    const state = createState();
    this.pending.set(state, { codeVerifier, startedAt: this.options.clock.monotonic() });
    const authorizeUrl = this.options.accounts.buildAuthorizeUrl({
      redirectUri: this.redirectUri,
      scopes: this.options.scopes,
      state,
      codeChallenge,
    });
    return { authorizeUrl, state };
  }

  /** Completes a login from the callback's parameters. Throws HttpError 400 on a bad or stale state. */
  async complete(params: CallbackParams, signal?: AbortSignal): Promise<void> {
    this.expire();
    if (params.error) {
      throw badRequest(
        `Spotify did not authorize SpotiPi (${params.error}); start again at /login.`,
        'error',
        { key: 'error.login.denied', params: { error: params.error } },
      );
    }
    if (!params.state) {
      throw badRequest('The redirect carries no state; paste the whole URL.', 'state', {
        key: 'error.login.noState',
      });
    }
    const login = this.pending.get(params.state);
    if (!login) {
      throw badRequest('This login was not started here or has expired; start again at /login.', 'state', {
        key: 'error.login.stale',
      });
    }
    if (!params.code) {
      throw badRequest('The redirect carries no authorization code; paste the whole URL.', 'code', {
        key: 'error.login.noCode',
      });
    }
    // One use only, whatever the outcome: a code and state are never replayed.
    this.pending.delete(params.state);
    const result = await this.options.accounts.exchangeCode(
      { code: params.code, redirectUri: this.redirectUri, codeVerifier: login.codeVerifier },
      signal,
    );
    await this.options.onAuthorized(result);
  }

  private expire(): void {
    const now = this.options.clock.monotonic();
    for (const [state, login] of this.pending) {
      if (now - login.startedAt > this.ttlMs) this.pending.delete(state);
    }
  }
}
