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
      // What the page would otherwise ask /healthz for on every visit.
      htmlData: { mode: deps.config.mode, 'low-power': String(deps.config.lowPower) },
    });
  }
  if (!hasUi) {
    app.get('/', async (_request, reply) => reply.type('text/html').send(fallbackPage(deps)));
  }
};

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
