import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../deps.js';
import { page } from '../html.js';
import { staticFiles } from '../static-files.js';

/** Serves the web UI from `webRoot` at `/`; a built-in page stands in until web/index.html exists. */
export const webRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const root = deps.webRoot;
  const hasUi = root !== undefined && existsSync(join(root, 'index.html'));
  if (root !== undefined && existsSync(root)) {
    await app.register(staticFiles, {
      root,
      index: hasUi,
      // Read per request: first-run setup changes the mode, a save changes the settings.
      htmlData: () => pageFacts(deps),
    });
  }
  if (!hasUi) {
    app.get('/', async (_request, reply) => reply.type('text/html').send(fallbackPage(deps)));
  }
};

/**
 * What the page needs before its first request, written into its `<html>` tag: the server's mode
 * and power profile (else a /healthz request), and the settings that shape every device's page
 * (language, theme, the bedside clock's night window; else an /api/settings request on every
 * visit, before the settings card is even opened).
 */
export function pageFacts(deps: Pick<AppDeps, 'config' | 'settings'>): Record<string, string> {
  const facts: Record<string, string> = { mode: deps.config.mode, 'low-power': String(deps.config.lowPower) };
  const settings = deps.settings?.current();
  if (settings) {
    // `settings-` apart from the page's own state (`data-theme` is the theme it shows).
    facts['settings-language'] = settings.language;
    facts['settings-theme'] = settings.theme;
    facts['settings-clock-dim-from'] = settings.clock_dim_from;
    facts['settings-clock-dim-until'] = settings.clock_dim_until;
  }
  return facts;
}

function fallbackPage(deps: AppDeps): string {
  const demo =
    deps.config.mode === 'demo'
      ? '<p class="banner">DEMO MODE: running on the built-in Spotify emulator, not your Spotify account.</p>'
      : '';
  return page(
    'SpotiPi',
    `${demo}
<h1>SpotiPi</h1>
<p>The server is running. The full web UI is not installed in this build.</p>
<ul>
<li><a href="/playback_status">Playback status</a></li>
<li><a href="/api/music-library">Music library</a></li>
<li><a href="/api/devices">Devices</a></li>
<li><a href="/api/token-cache/status">Token cache status</a></li>
<li><a href="/metrics">Metrics</a></li>
<li><a href="/login">Log in to Spotify</a></li>
</ul>`,
  );
}
