import { describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError, RetryableRefreshError, TokenError } from './errors.js';
import { scrubError } from './scrub-error.js';

const SECRET = 'refresh-token-secret-0123456789';
const redact = (text: string) => text.split(SECRET).join('[fp]');

describe('scrubError', () => {
  it('returns an error without secrets as the same instance', () => {
    const err = new RetryableRefreshError('503 from the token endpoint');
    expect(scrubError(err, redact)).toBe(err);
    expect(scrubError('not an error', redact)).toBe('not an error');
  });

  it('redacts the message and stack of a copy that keeps its class and fields', () => {
    const err = new RetryableRefreshError(`bad refresh_token=${SECRET}`, 5_000);
    const clean = scrubError(err, redact);
    expect(clean).not.toBe(err);
    expect(clean).toBeInstanceOf(RetryableRefreshError);
    expect(clean.name).toBe('RetryableRefreshError');
    expect(clean.retryAfterMs).toBe(5_000);
    expect(clean.message).toBe('bad refresh_token=[fp]');
    expect(clean.stack).toContain('bad refresh_token=[fp]');
    expect(`${String(clean)} ${clean.stack}`).not.toContain(SECRET);
    expect(err.message).toContain(SECRET); // the original is left alone
  });

  it('redacts causes, however the secret is nested', () => {
    const inner = new Error(`POST failed: refresh_token=${SECRET}`);
    const err = new ReauthorizationRequiredError('invalid_grant', {
      cause: new TokenError('wrapped', { cause: inner }),
    });
    const clean = scrubError(err, redact);
    expect(clean).toBeInstanceOf(ReauthorizationRequiredError);
    expect(clean.message).toBe('invalid_grant');
    const text = JSON.stringify(clean, ['message', 'cause', 'stack']);
    expect(text).not.toContain(SECRET);
    expect(((clean.cause as Error).cause as Error).message).toBe('POST failed: refresh_token=[fp]');
  });
});
