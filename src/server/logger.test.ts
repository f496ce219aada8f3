import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, scrubUrl } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

describe('the logger', () => {
  it('redacts credentials in headers, tokens, secrets and codes at any depth', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer AAA-access', cookie: 'spotipi_session=BBB' } },
        accessToken: 'CCC-access',
        refresh_token: 'DDD-refresh',
        body: { client_secret: 'EEE-secret', code: 'FFF-code', code_verifier: 'GGG-verifier' },
        nested: { deeper: { password: 'HHH-password', token: 'III-token' } },
        res: { headers: { 'set-cookie': 'spotipi_session=JJJ' } },
        fine: 'visible',
      },
      'hello',
    );
    const line = lines.join('');
    for (const secret of ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH', 'III', 'JJJ']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain(REDACTED);
    expect(line).toContain('visible');
  });

  it('scrubs codes and states from logged request URLs', () => {
    const { lines, logger } = capture();
    logger.info(
      { req: { method: 'GET', url: '/callback?code=SECRETCODE&state=STATE1&x=1' } },
      'incoming request',
    );
    const line = lines.join('');
    expect(line).not.toContain('SECRETCODE');
    expect(line).not.toContain('STATE1');
    expect(line).toContain('x=1');
  });

  it('leaves URLs without secrets alone', () => {
    expect(scrubUrl('/api/music-library?refresh=1')).toBe('/api/music-library?refresh=1');
    expect(scrubUrl('/x?access_token=abc#frag')).toBe(`/x?access_token=${REDACTED}#frag`);
  });
});
