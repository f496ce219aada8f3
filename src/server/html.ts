/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small self-contained HTML page (no scripts, so it passes the strict CSP). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · SpotiPi</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#eee;background:#121212}
a{color:#1db954}input,button,textarea{font:inherit;padding:.5rem;border-radius:.4rem;border:1px solid #555;background:#222;color:#eee}
button{background:#1db954;color:#000;border:0;cursor:pointer}.banner{background:#b58900;color:#000;padding:.5rem 1rem;border-radius:.4rem}
.error{color:#ff6b6b}code{background:#222;padding:0 .3rem}label{display:block;margin:.5rem 0}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
