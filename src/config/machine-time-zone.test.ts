import { describe, expect, it } from 'vitest';
import { machineTimeZone, zoneOfLink } from './settings.js';

describe('machineTimeZone', () => {
  it('takes a valid TZ over the /etc/localtime link', () => {
    expect(machineTimeZone('Europe/Berlin', () => '/usr/share/zoneinfo/America/New_York')).toBe(
      'Europe/Berlin',
    );
    expect(machineTimeZone(':Asia/Tokyo', () => undefined)).toBe('Asia/Tokyo');
  });

  it('reads the zone from the /etc/localtime link when TZ is unset', () => {
    expect(machineTimeZone(undefined, () => '/usr/share/zoneinfo/America/Argentina/Buenos_Aires')).toBe(
      'America/Argentina/Buenos_Aires',
    );
    expect(machineTimeZone('', () => '../usr/share/zoneinfo/Etc/UTC')).toBe('Etc/UTC');
  });

  it("falls back to Intl's answer when neither tells a zone", () => {
    const intl = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(machineTimeZone(undefined, () => undefined)).toBe(intl);
    expect(machineTimeZone(undefined, () => '/etc/some-file')).toBe(intl);
    // An invalid TZ is not replaced by the link: the process's own zone is what Intl says.
    expect(machineTimeZone('Not/A_Zone', () => '/usr/share/zoneinfo/Europe/Berlin')).toBe(intl);
  });
});

describe('zoneOfLink', () => {
  it('accepts zoneinfo paths, also under posix/ and right/, and nothing else', () => {
    expect(zoneOfLink('/usr/share/zoneinfo/posix/Europe/Paris')).toBe('Europe/Paris');
    expect(zoneOfLink('/usr/share/zoneinfo/right/UTC')).toBe('UTC');
    expect(zoneOfLink('/usr/share/zoneinfo/Etc/GMT+5')).toBe('Etc/GMT+5');
    expect(zoneOfLink('/usr/share/zoneinfo/')).toBeUndefined();
    expect(zoneOfLink('/var/db/timezone/localtime')).toBeUndefined();
    expect(zoneOfLink(undefined)).toBeUndefined();
  });
});
