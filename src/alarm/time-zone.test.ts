import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isValidTimeZone } from './model.js';

const zoneinfo = mkdtempSync(join(tmpdir(), 'spotipi-zoneinfo-'));
mkdirSync(join(zoneinfo, 'Europe'));
writeFileSync(join(zoneinfo, 'Europe', 'Atlantis'), 'TZif');
writeFileSync(join(zoneinfo, 'posixrules'), 'TZif');
afterAll(() => rmSync(zoneinfo, { recursive: true, force: true }));

describe('isValidTimeZone', () => {
  it('accepts a zone of the system tz database without asking Intl', () => {
    // Intl has no Europe/Atlantis: only the file makes it valid.
    expect(isValidTimeZone('Europe/Atlantis', join(tmpdir(), 'no-zoneinfo-here'))).toBe(false);
    expect(isValidTimeZone('Europe/Atlantis', zoneinfo)).toBe(true);
  });

  it('asks Intl for names that are not tz database files', () => {
    expect(isValidTimeZone('America/New_York', zoneinfo)).toBe(true);
    expect(isValidTimeZone('utc', zoneinfo)).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons', zoneinfo)).toBe(false);
  });

  it('does not take other files of the database, directories or paths out of it for zones', () => {
    expect(isValidTimeZone('posixrules', zoneinfo)).toBe(false);
    expect(isValidTimeZone('Europe', zoneinfo)).toBe(false);
    expect(isValidTimeZone('Europe/../posixrules', zoneinfo)).toBe(false);
    expect(isValidTimeZone('', zoneinfo)).toBe(false);
  });
});
