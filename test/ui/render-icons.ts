/**
 * Renders the PWA's PNG icons from web/icons/*.svg with headless Chromium (no network, no image
 * library). Run after changing an SVG: `npx tsx test/ui/render-icons.ts`; icons.test.ts checks the result.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.js';

const ICONS = fileURLToPath(new URL('../../web/icons/', import.meta.url));

/** The PNGs the manifest and index.html reference: file name, source SVG, pixel size. */
export const PNG_ICONS = [
  { file: 'icon-192.png', svg: 'icon.svg', size: 192 },
  { file: 'icon-512.png', svg: 'icon.svg', size: 512 },
  { file: 'icon-maskable-512.png', svg: 'icon-maskable.svg', size: 512 },
  { file: 'apple-touch-icon.png', svg: 'icon-maskable.svg', size: 180 },
] as const;

async function main(): Promise<void> {
  const browser = await launchChromium();
  try {
    for (const icon of PNG_ICONS) {
      const svg = await readFile(`${ICONS}${icon.svg}`, 'utf8');
      const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size } });
      const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
      await page.setContent(
        `<html><body style="margin:0;background:transparent"><img src="${dataUrl}" width="${icon.size}" height="${icon.size}" style="display:block"></body></html>`,
      );
      await page.waitForFunction(() => document.images[0]?.complete);
      const png = await page.screenshot({
        omitBackground: true,
        clip: { x: 0, y: 0, width: icon.size, height: icon.size },
      });
      await writeFile(`${ICONS}${icon.file}`, png);
      await page.close();
      console.log(`wrote web/icons/${icon.file} (${icon.size}x${icon.size}, ${png.length} bytes)`);
    }
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
