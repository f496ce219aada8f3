import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEB_ROOT } from './web-module.js';

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const manifest = JSON.parse(readFileSync(join(WEB_ROOT, 'manifest.webmanifest'), 'utf8')) as {
  name: string;
  start_url: string;
  display: string;
  icons: ManifestIcon[];
};

describe('the PWA manifest', () => {
  it('is installable: name, start URL, standalone display, 192 and 512 px PNG icons and a maskable one', () => {
    expect(manifest.name).toBe('SpotiPi');
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    const sizes = manifest.icons.filter((i) => i.type === 'image/png').map((i) => i.sizes);
    expect(sizes).toContain('192x192');
    expect(sizes).toContain('512x512');
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
  });

  it('points at PNG files whose real pixel size matches the size it declares', () => {
    for (const icon of manifest.icons.filter((i) => i.type === 'image/png')) {
      const { width, height } = pngSize(readFileSync(join(WEB_ROOT, icon.src)));
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
    }
  });

  it('points at an SVG icon that is a real SVG document', () => {
    const svgIcon = manifest.icons.find((i) => i.type === 'image/svg+xml');
    expect(svgIcon).toBeDefined();
    const text = readFileSync(join(WEB_ROOT, svgIcon!.src), 'utf8');
    expect(text).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('has an apple-touch-icon of 180 px as the page declares', () => {
    expect(pngSize(readFileSync(join(WEB_ROOT, 'icons/apple-touch-icon.png')))).toEqual({
      width: 180,
      height: 180,
    });
  });
});
