import { beforeAll, describe, expect, it } from 'vitest';
import { loadWebModule } from './web-module.js';

interface LoginView {
  expiresAt: number;
  daysLeft: number;
  estimated: boolean;
  warn: boolean;
}
interface TokenModel {
  normaliseTokenStatus(raw: unknown, now: number): { login: LoginView | null };
  loginOf(raw: unknown, now: number): LoginView | null;
}

const DAY = 86_400;
let token: TokenModel;

beforeAll(async () => {
  token = await loadWebModule<TokenModel>('token-model');
});

describe("the token panel's login line", () => {
  it('reads when the login expires from the status, in whole days left', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const view = token.normaliseTokenStatus(
      {
        state: 'valid',
        login: {
          expires_at: '2026-06-30T00:00:00Z',
          expires_in_seconds: 180 * DAY + 3600,
          authorized_at_estimated: false,
        },
      },
      now,
    );
    expect(view.login).toEqual({
      expiresAt: now + (180 * DAY + 3600) * 1000,
      daysLeft: 180,
      estimated: false,
      warn: false,
    });
  });

  it('warns from 14 days before, not a second earlier, and marks an estimate (a seeded refresh token)', () => {
    expect(token.loginOf({ expires_in_seconds: 14 * DAY + 1 }, 0)?.warn).toBe(false);
    expect(token.loginOf({ expires_in_seconds: 14 * DAY }, 0)?.warn).toBe(true);
    expect(token.loginOf({ expires_in_seconds: 0, authorized_at_estimated: true }, 0)).toEqual({
      expiresAt: 0,
      daysLeft: 0,
      estimated: true,
      warn: true,
    });
  });

  it('shows nothing when the login is unknown (no refresh token yet, or an older server)', () => {
    expect(token.loginOf({ expires_in_seconds: null }, 0)).toBeNull();
    expect(token.normaliseTokenStatus({ state: 'empty' }, 0).login).toBeNull();
  });
});
