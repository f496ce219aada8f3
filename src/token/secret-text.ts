import { fingerprint } from './fingerprint.js';

/** Error text in logs and status is cut to this length, after redaction. */
const MAX_ERROR_TEXT = 300;

/** Turns errors into text safe for logs and status: every secret the cache knows becomes its fingerprint. */
export class Redactor {
  /** `secrets()` lists the tokens to hide right now (access, refresh, seed). */
  constructor(private readonly secrets: () => ReadonlyArray<string | undefined>) {}

  /** An error as text: secrets redacted first, then cut to length (so no prefix of one survives the cut). */
  describe(err: unknown): string {
    const text = this.redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
  }

  /** Replaces any known secret in `text` with its fingerprint. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets()) {
      if (secret && secret.length >= 8 && out.includes(secret))
        out = out.split(secret).join(`[${fingerprint(secret)}]`);
    }
    return out;
  }
}
