import { describe, expect, it } from 'vitest';
import { hostAllowed, hostName } from './host-guard.js';

const allow = { boundHost: '0.0.0.0', allowedHosts: ['pi.local'] };

describe('hostAllowed', () => {
  it.each([
    ['localhost:5001', true],
    ['LOCALHOST', true],
    ['app.localhost', true],
    ['127.0.0.1:5001', true],
    ['127.8.9.10', true],
    ['[::1]:5001', true],
    ['192.168.1.20:5001', true],
    ['[fe80::1]', true],
    ['pi.local', true],
    ['pi.local.:5001', true],
    ['PI.LOCAL:80', true],
    ['evil.example', false],
    ['pi.local.evil.example', false],
    ['evil.pi.local', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (host, expected) => {
    expect(hostAllowed(host, allow)).toBe(expected);
  });

  it('allows the bound address when it is a name', () => {
    expect(hostAllowed('spotipi.lan:5001', { boundHost: 'spotipi.lan', allowedHosts: [] })).toBe(true);
    expect(hostAllowed('spotipi.lan:5001', { boundHost: '0.0.0.0', allowedHosts: [] })).toBe(false);
  });

  it('strips ports, brackets and a trailing dot', () => {
    expect(hostName('[::1]:5001')).toBe('::1');
    expect(hostName('Pi.Local.:5001')).toBe('pi.local');
    expect(hostName('example')).toBe('example');
  });
});
