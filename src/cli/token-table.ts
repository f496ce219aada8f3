/**
 * Renders the server's token-cache status (any nesting) as readable sections: top-level values
 * under "Token cache", each nested object as its own section, keys spelled out
 * (`time_until_expiry_minutes` → "Time until expiry (minutes)").
 */
export function formatTokenStatus(body: unknown): string {
  if (typeof body !== 'object' || body === null) return `${String(body)}\n`;
  const sections: { title: string; rows: [string, string][] }[] = [{ title: 'Token cache', rows: [] }];
  collect(body as Record<string, unknown>, 'Token cache', sections);
  const out: string[] = [];
  for (const section of sections) {
    if (section.rows.length === 0) continue;
    const width = Math.max(...section.rows.map(([k]) => k.length));
    out.push(section.title, ...section.rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), '');
  }
  return `${out.join('\n')}`;
}

function collect(
  obj: Record<string, unknown>,
  title: string,
  sections: { title: string; rows: [string, string][] }[],
): void {
  let section = sections.find((s) => s.title === title);
  if (!section) {
    section = { title, rows: [] };
    sections.push(section);
  }
  for (const [key, value] of Object.entries(obj)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      collect(value as Record<string, unknown>, humanise(key), sections);
    } else {
      section.rows.push([humanise(key), show(key, value)]);
    }
  }
}

function humanise(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .trim();
  const unit = words.match(/^(.*) (minutes|seconds|ms|percent)$/);
  // Percentages carry their % on the value instead.
  const text = unit ? (unit[2] === 'percent' ? `${unit[1]}` : `${unit[1]} (${unit[2]})`) : words;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function show(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && /percent/i.test(key)) return `${value}%`;
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((v) => JSON.stringify(v)).join(', ');
  return String(value);
}
