/** The emulator's /authorize consent page (HTML). Every value is escaped. */
export function consentPage(params: URLSearchParams, userName: string, scopes: string[]): string {
  const hidden = [...params.entries()]
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n      ');
  const scopeList = scopes.map((s) => `<li>${esc(s)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Authorize SpotiPi (Spotify emulator)</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #121212; color: #fff; display: grid; place-items: center; min-height: 100vh; margin: 0; }
    main { max-width: 26rem; padding: 2rem; background: #1e1e1e; border-radius: 12px; }
    button { font-size: 1rem; padding: .7rem 1.4rem; border-radius: 999px; border: 0; cursor: pointer; margin-right: .5rem; }
    #accept { background: #1db954; color: #000; font-weight: 700; }
    #cancel { background: transparent; color: #fff; border: 1px solid #777; }
    small { color: #aaa; }
  </style>
</head>
<body>
  <main>
    <h1>Spotify emulator</h1>
    <p>Log in as <strong>${esc(userName)}</strong> and allow this app to:</p>
    <ul>${scopeList}</ul>
    <form method="post" action="/authorize">
      ${hidden}
      <button id="accept" type="submit" name="decision" value="accept">Agree</button>
      <button id="cancel" type="submit" name="decision" value="cancel">Cancel</button>
    </form>
    <p><small>This is SpotiPi's local Spotify emulator with a demo account, not Spotify.</small></p>
  </main>
</body>
</html>`;
}

/** A plain error page, as Spotify shows for a bad client id or redirect URI (no redirect then). */
export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>Oops! Something went wrong</h1><p>${esc(message)}</p></body></html>`;
}

/** A generated square cover image (SVG) whose colours derive from the id. */
export function coverArt(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = h % 360;
  const hue2 = (hue + 40 + ((h >> 9) % 80)) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},65%,55%)"/><stop offset="1" stop-color="hsl(${hue2},70%,30%)"/></linearGradient></defs><rect width="64" height="64" fill="url(#g)"/><circle cx="${16 + (h % 32)}" cy="${16 + ((h >> 5) % 32)}" r="${8 + ((h >> 3) % 10)}" fill="hsla(${hue2},80%,85%,.35)"/></svg>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
