import type { Grant } from './store-sync.js';
import type { Logger } from './types.js';

const DAY_MS = 86_400_000;

/**
 * Warns before the login (the refresh-token grant) expires: from `loginWarningMs` before its end,
 * at most one log line a day (checked after each refresh and at start).
 */
export class LoginWatch {
  private lastWarnedAt: number | undefined;

  constructor(
    private readonly settings: { loginLifetimeMs: number; loginWarningMs: number },
    private readonly cache: string,
  ) {}

  /** Logs the day's warning when the login of `grant` ends within the warning window. */
  check(grant: Grant, nowWall: number, logger: Logger): void {
    if (grant.authorizedAt === undefined || grant.refreshToken === undefined) return;
    const expiresAt = grant.authorizedAt + this.settings.loginLifetimeMs;
    const left = expiresAt - nowWall;
    if (left > this.settings.loginWarningMs) return;
    if (this.lastWarnedAt !== undefined && nowWall - this.lastWarnedAt < DAY_MS) return;
    this.lastWarnedAt = nowWall;
    logger.warn(
      {
        cache: this.cache,
        login_expires_at: new Date(expiresAt).toISOString(),
        login_expires_in_days: Math.max(0, Math.floor(left / DAY_MS)),
        estimated: grant.authorizedAtEstimated,
      },
      left > 0
        ? 'the Spotify login expires soon; log in again (spotipi login) before it does'
        : 'the Spotify login has expired; log in again (spotipi login)',
    );
  }
}
