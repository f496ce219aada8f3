/** Token-cache status normalisation and the sample history behind the chart (pure, unit-tested). */

/**
 * @typedef {{state: string, hits: number|null, misses: number|null, total: number|null,
 *   hitRate: number|null, refreshAttempts: number|null, refreshOk: number|null, refreshFailed: number|null,
 *   expiresAt: number|null, ageMinutes: number|null, store: string, lastError: string, fetchedAt: number,
 *   login: LoginView|null}} TokenView
 */

/**
 * When the login (refresh-token grant) ends; `warn` from 14 days before.
 * @typedef {{expiresAt: number, daysLeft: number, estimated: boolean, warn: boolean}} LoginView
 */

const LOGIN_WARNING_MS = 14 * 86_400_000;

/**
 * @param {any} raw the body of GET /api/token-cache/status (seed field names)
 * @param {number} now epoch ms of arrival
 * @returns {TokenView}
 */
export function normaliseTokenStatus(raw, now) {
  const body = raw && typeof raw === 'object' ? raw : {};
  const m = body.cache_metrics ?? {};
  const p = body.performance ?? {};
  const info = body.token_info ?? {};
  const hits = num(m.cache_hits);
  const misses = num(m.cache_misses);
  const total = num(m.total_requests) ?? (hits !== null && misses !== null ? hits + misses : null);
  let hitRate = num(p.cache_hit_rate_percent);
  if (hitRate === null && total) hitRate = ((hits ?? 0) / total) * 100;
  return {
    state: String(body.state ?? body.cache_state ?? (info.has_token === false ? 'empty' : 'valid')),
    hits,
    misses,
    total,
    hitRate,
    refreshAttempts: num(m.refresh_attempts),
    refreshOk: num(m.refresh_successes),
    refreshFailed: num(m.refresh_failures),
    expiresAt: expiryOf(info, now),
    ageMinutes: num(info.age_minutes),
    store: String(body.store?.kind ?? body.store_kind ?? body.store ?? ''),
    lastError: lastErrorText(body.last_error),
    fetchedAt: now,
    login: loginOf(body.login, now),
  };
}

/**
 * @param {any} login the status's `login` ({expires_at, expires_in_seconds, authorized_at_estimated})
 * @param {number} now
 * @returns {LoginView|null}
 */
export function loginOf(login, now) {
  if (!login || typeof login !== 'object') return null;
  const seconds = num(login.expires_in_seconds);
  if (seconds === null) return null;
  const left = Math.max(0, seconds * 1000);
  return {
    expiresAt: now + left,
    daysLeft: Math.floor(left / 86_400_000),
    estimated: login.authorized_at_estimated === true,
    warn: left <= LOGIN_WARNING_MS,
  };
}

function expiryOf(info, now) {
  const seconds = num(info.time_until_expiry_seconds ?? info.expires_in_seconds);
  if (seconds !== null) return now + seconds * 1000;
  if (typeof info.expires_at === 'string' || typeof info.expires_at === 'number') {
    const parsed = typeof info.expires_at === 'number' ? info.expires_at : Date.parse(info.expires_at);
    if (!Number.isNaN(parsed)) return parsed;
  }
  const minutes = num(info.time_until_expiry_minutes);
  return minutes === null ? null : now + minutes * 60_000;
}

function lastErrorText(value) {
  if (!value) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return String(value.message ?? value.name ?? '');
  return '';
}

function num(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** One point of the chart's history. */
/** @typedef {{t: number, requests: number, refreshes: number}} Sample */

/**
 * Appends a sample (cumulative counters) and keeps at most `max`; a counter that went down
 * (server restart) starts a fresh history so deltas never go negative.
 * @param {Sample[]} history
 * @param {Sample} sample
 * @param {number} max
 * @returns {Sample[]}
 */
export function addSample(history, sample, max = 120) {
  const last = history[history.length - 1];
  if (last && (sample.requests < last.requests || sample.refreshes < last.refreshes)) return [sample];
  const next = [...history, sample];
  return next.length > max ? next.slice(next.length - max) : next;
}

/**
 * Geometry of the chart: requests per interval as a stepped area, refreshes as marks.
 * @param {Sample[]} history
 * @param {number} width
 * @param {number} height
 */
export function chartGeometry(history, width, height) {
  if (history.length < 2)
    return { area: '', line: '', marks: [], maxDelta: 0, totalRequests: 0, totalRefreshes: 0 };
  const deltas = [];
  for (let i = 1; i < history.length; i++) {
    deltas.push({
      t: history[i].t,
      requests: history[i].requests - history[i - 1].requests,
      refreshes: history[i].refreshes - history[i - 1].refreshes,
    });
  }
  const t0 = history[0].t;
  const span = Math.max(1, history[history.length - 1].t - t0);
  const maxDelta = Math.max(1, ...deltas.map((d) => d.requests));
  // Headroom above the peak: a steady rate reads as a line, not as a block filling the chart.
  const top = maxDelta * 1.25;
  const pad = 2;
  const x = (t) => round((width * (t - t0)) / span);
  const y = (v) => round(height - pad - ((height - 2 * pad) * v) / top);
  // A step per interval: the requests made between two samples, drawn across that interval.
  const points = [];
  let from = t0;
  for (const d of deltas) {
    points.push([x(from), y(d.requests)], [x(d.t), y(d.requests)]);
    from = d.t;
  }
  const line = points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px} ${py}`).join(' ');
  const area = `${line} L${points[points.length - 1][0]} ${height} L${points[0][0]} ${height} Z`;
  const marks = deltas.filter((d) => d.refreshes > 0).map((d) => ({ x: x(d.t), count: d.refreshes }));
  return {
    area,
    line,
    marks,
    maxDelta,
    totalRequests: history[history.length - 1].requests - history[0].requests,
    totalRefreshes: history[history.length - 1].refreshes - history[0].refreshes,
  };
}

function round(v) {
  return Math.round(v * 10) / 10;
}
