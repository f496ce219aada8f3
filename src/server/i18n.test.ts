import { describe, expect, it } from 'vitest';
import { requestLanguage, translate } from './i18n.js';

describe('requestLanguage', () => {
  it('takes ?lang= first, then the best supported Accept-Language tag by quality, else English', () => {
    expect(requestLanguage({ lang: 'de' }, 'en')).toBe('de');
    expect(requestLanguage({ lang: 'de-AT' }, undefined)).toBe('de');
    expect(requestLanguage({ lang: 'xx' }, 'de')).toBe('de');
    expect(requestLanguage(undefined, 'de-DE,de;q=0.9,en;q=0.8')).toBe('de');
    expect(requestLanguage(undefined, 'fr;q=1, en;q=0.5, de;q=0.7')).toBe('de');
    expect(requestLanguage(undefined, 'de;q=0, en')).toBe('en');
    expect(requestLanguage(undefined, 'fr, es')).toBe('en');
    expect(requestLanguage(undefined, undefined)).toBe('en');
  });
});

describe('translate', () => {
  it('fills the catalogue text for German, keeps the English text for English and unknown keys', () => {
    expect(translate({ key: 'error.rateLimited', params: { seconds: 7 } }, 'de', 'english')).toBe(
      'Spotify bremst gerade Anfragen; versuche es in 7 s erneut.',
    );
    expect(translate({ key: 'error.rateLimited', params: { seconds: 7 } }, 'en', 'english')).toBe('english');
    expect(translate({ key: 'error.noSuchKey' }, 'de', 'english')).toBe('english');
  });
});
