/**
 * Whether an alarm will be able to play when it rings, as found by its last preflight check
 * (`preflight.ts`). The alarm view carries it as `readiness`.
 */
export interface Readiness {
  status: 'ok' | 'warning' | 'failing';
  reasons: string[]; // human sentences, e.g. "Spotify needs a new login"
  checked_at: string; // ISO 8601
  /** True when logging in again is what fixes it (the UI offers a "Log in again" button). */
  needs_login?: boolean;
  /** Each reason as a code with its values, in the order of `reasons` (the UI translates them). */
  details?: ReasonDetail[];
}

/** A reason in machine form, e.g. `{ code: 'speaker_unseen', params: { device: 'Kitchen' } }`. */
export interface ReasonDetail {
  code: string;
  params?: Record<string, string | number>;
}

/** One finding of a check: how bad, in a sentence. */
export interface Finding {
  severity: 'warning' | 'failing';
  reason: string;
  /** Stable code of the reason (e.g. `login_needed`) and the values its sentence uses. */
  code: string;
  params?: Record<string, string | number>;
  /** Logging in again fixes it. */
  login?: boolean;
}

/** Folds findings into a readiness: the worst severity wins; all reasons are kept, worst first. */
export function readinessFrom(findings: readonly Finding[], checkedAt: Date): Readiness {
  const failing = findings.filter((f) => f.severity === 'failing');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const status = failing.length > 0 ? 'failing' : warnings.length > 0 ? 'warning' : 'ok';
  const needsLogin = findings.some((f) => f.login);
  const ordered = [...failing, ...warnings];
  return {
    status,
    reasons: ordered.map((f) => f.reason),
    checked_at: checkedAt.toISOString(),
    ...(needsLogin ? { needs_login: true } : {}),
    ...(ordered.length > 0
      ? { details: ordered.map((f) => ({ code: f.code, ...(f.params ? { params: f.params } : {}) })) }
      : {}),
  };
}

/** The readiness as a gauge value: 0 ok, 1 warning, 2 failing. */
export function readinessLevel(readiness: Readiness): 0 | 1 | 2 {
  return readiness.status === 'ok' ? 0 : readiness.status === 'warning' ? 1 : 2;
}
