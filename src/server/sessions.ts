import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { Clock } from '../token/types.js';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import type { PinoLogger } from './logger.js';
import { secretsEqual } from './secret-compare.js';

/** Most sessions kept at once; the oldest goes first (each browser that logs in makes one). */
const MAX_SESSIONS = 200;

const sessionFileSchema = z.object({
  version: z.literal(1),
  /** HMAC of the configured password and API token: a change of either ends every session. */
  credentials: z.string(),
  /** By SHA-256 of the session id (the file never holds a usable id). */
  sessions: z.record(z.string(), z.object({ createdAt: z.number(), expiresAt: z.number() })),
});
type SessionFile = z.infer<typeof sessionFileSchema>;

export interface SessionStoreOptions {
  /** The sessions file in the state dir (written atomically, 0600). */
  path: string;
  /** Keys the credentials HMAC (the session secret). */
  secret: string;
  password: string | undefined;
  apiToken: string | undefined;
  clock: Clock;
  /** How long a session lives from login. */
  maxAgeMs: number;
  logger: Pick<PinoLogger, 'warn' | 'info'>;
}

/**
 * Server-side browser sessions: the cookie holds a random id, the server keeps which ids are
 * alive. Logout revokes one, `revokeAll` every one; starting with another password or API token
 * revokes every one too. Lookups are in memory; only logins and logouts write the file.
 */
export class SessionStore {
  private readonly sessions = new Map<string, { createdAt: number; expiresAt: number }>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: SessionStoreOptions,
    private readonly credentials: string,
  ) {}

  /** Loads the sessions file; an unreadable one, or one made under other credentials, starts empty. */
  static async open(options: SessionStoreOptions): Promise<SessionStore> {
    const credentials = createHmac('sha256', options.secret)
      .update(`spotipi-credentials\u0000${options.password ?? ''}\u0000${options.apiToken ?? ''}`)
      .digest('hex');
    const store = new SessionStore(options, credentials);
    let file: SessionFile | undefined;
    try {
      const parsed = sessionFileSchema.safeParse(await readJsonFile(options.path));
      if (parsed.success) file = parsed.data;
      else
        options.logger.warn({ path: options.path }, 'sessions file unreadable; every browser logs in again');
    } catch {
      options.logger.warn({ path: options.path }, 'sessions file unreadable; every browser logs in again');
    }
    if (file && secretsEqual(file.credentials, credentials)) {
      const now = options.clock.now();
      for (const [key, session] of Object.entries(file.sessions)) {
        if (session.expiresAt > now) store.sessions.set(key, session);
      }
    } else if (file && Object.keys(file.sessions).length > 0) {
      options.logger.info('password or API token changed: every session ended');
    }
    await store.persist();
    return store;
  }

  /** Creates a session and returns its id (256 random bits, base64url). */
  async create(): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const now = this.options.clock.now();
    this.sessions.set(keyOf(id), { createdAt: now, expiresAt: now + this.options.maxAgeMs });
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    await this.persist();
    return id;
  }

  /** True while the session exists and has not expired. */
  isValid(id: string): boolean {
    const session = this.sessions.get(keyOf(id));
    return session !== undefined && session.expiresAt > this.options.clock.now();
  }

  /** Ends one session (logout). */
  async revoke(id: string): Promise<void> {
    if (this.sessions.delete(keyOf(id))) await this.persist();
  }

  /** Ends every session ("log out everywhere"); returns how many there were. */
  async revokeAll(): Promise<number> {
    const count = this.sessions.size;
    this.sessions.clear();
    await this.persist();
    return count;
  }

  /** Live sessions right now. */
  get size(): number {
    return this.sessions.size;
  }

  private persist(): Promise<void> {
    const now = this.options.clock.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
    const file: SessionFile = {
      version: 1,
      credentials: this.credentials,
      sessions: Object.fromEntries(this.sessions),
    };
    const text = `${JSON.stringify(file)}\n`;
    // One write at a time, in order: the last one on disk is the latest state.
    this.writes = this.writes
      .catch(() => {})
      .then(() => writeFileAtomic(this.options.path, text, { mode: 0o600 }));
    return this.writes;
  }
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
