import { systemClock } from '../clock.js';
import { fingerprint } from '../fingerprint.js';
import type { Clock, StoreChangeInfo, StoreHealth, StoreLock, TokenRecord, TokenStore } from '../types.js';
import { nextVersion, withoutAccessToken } from './memory-store.js';

type Listener = (record: TokenRecord | undefined, info?: StoreChangeInfo) => void;

interface Waiter {
  current: string | undefined;
  resolve: (record: TokenRecord | undefined) => void;
}

/**
 * An in-process stand-in for a shared store (what Redis is for a fleet): one record, one lock
 * with a TTL, change notifications between connections. Several caches in one process (or a test
 * of the fleet algorithm) connect to the same backend. `down = true` makes every call throw, like
 * an unreachable server.
 */
export class SharedMemoryBackend {
  /** When true, every store call rejects (the server is unreachable). */
  down = false;
  /** Each call takes this long on the clock (a slow network); 0 answers in the next microtask. */
  latencyMs = 0;
  private record: TokenRecord | undefined;
  private lock: { owner: number; until: number } | undefined;
  private nextOwner = 1;
  private readonly connections = new Set<SharedMemoryStore>();
  private waiters: Waiter[] = [];

  /** Lock TTLs and waits run on `clock` (a ManualClock in tests). */
  constructor(readonly clock: Clock = systemClock) {}

  /** Opens a connection: the TokenStore one cache (one "process") uses. */
  connect(): SharedMemoryStore {
    const store = new SharedMemoryStore(this);
    this.connections.add(store);
    return store;
  }

  /** The stored record (a copy), for assertions. */
  peek(): TokenRecord | undefined {
    return this.record ? { ...this.record } : undefined;
  }

  /** @internal Waits out the latency of one call. */
  async pause(): Promise<void> {
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    else await Promise.resolve();
  }

  /** @internal */
  check(): void {
    if (this.down) throw new Error('shared store unreachable');
  }

  /** @internal */
  read(): TokenRecord | undefined {
    return this.peek();
  }

  /** Ends the current lock now, as if its TTL ran out (tests of a holder that stalled). */
  expireLock(): void {
    this.lock = undefined;
  }

  /** @internal Writes `record` as the next version if the stored one is `expected`; returns the new version. */
  write(
    from: SharedMemoryStore,
    record: TokenRecord,
    expected: number | undefined,
    info?: StoreChangeInfo,
  ): number {
    const version = nextVersion(this.record?.version ?? 0, expected);
    this.record = { ...record, version };
    const changed = this.record?.accessToken;
    const woken = this.waiters.filter((w) => w.current !== changed);
    this.waiters = this.waiters.filter((w) => w.current === changed);
    for (const w of woken) w.resolve(this.peek());
    for (const conn of this.connections) if (conn !== from) conn.notify(this.peek(), info);
    return version;
  }

  /** @internal */
  tryLock(ttlMs: number): number | undefined {
    const now = this.clock.monotonic();
    if (this.lock && this.lock.until > now) return undefined;
    const owner = this.nextOwner++;
    this.lock = { owner, until: now + ttlMs };
    return owner;
  }

  /** @internal */
  extendLock(owner: number, ttlMs: number): boolean {
    const now = this.clock.monotonic();
    if (this.lock?.owner !== owner || this.lock.until <= now) return false;
    this.lock.until = now + ttlMs;
    return true;
  }

  /** @internal */
  unlock(owner: number): void {
    if (this.lock?.owner === owner) this.lock = undefined;
  }

  /** @internal */
  addWaiter(waiter: Waiter): () => void {
    this.waiters.push(waiter);
    return () => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
    };
  }

  /** @internal */
  disconnect(store: SharedMemoryStore): void {
    this.connections.delete(store);
  }
}

/** One connection to a {@link SharedMemoryBackend}; implements the shared-store methods. */
export class SharedMemoryStore implements TokenStore {
  readonly kind = 'shared-memory';
  readonly versioned = true;
  /** When true, every call of this connection rejects (its process crashed or was cut off). */
  dead = false;
  /** When true, change notices to this connection are lost (a dropped pub/sub message). */
  deaf = false;
  private readonly listeners = new Set<Listener>();

  /** Use `backend.connect()`. */
  constructor(private readonly backend: SharedMemoryBackend) {}

  /** Reads the shared record. */
  async load(): Promise<TokenRecord | undefined> {
    await this.backend.pause();
    this.check();
    return this.backend.read();
  }

  /** Replaces the shared record if it is still `expectedVersion`, and tells the other connections. */
  async save(record: TokenRecord, expectedVersion?: number): Promise<number> {
    await this.backend.pause();
    this.check();
    return this.backend.write(this, record, expectedVersion);
  }

  private check(): void {
    if (this.dead) throw new Error('connection lost');
    this.backend.check();
  }

  /** Drops the shared access token if it is still `accessToken`, telling the others which one. */
  async invalidate(accessToken: string): Promise<boolean> {
    await this.backend.pause();
    this.check();
    const record = this.backend.read();
    if (!record || record.accessToken !== accessToken) return false;
    this.backend.write(this, withoutAccessToken(record), record.version ?? 0, {
      invalidatedFingerprint: fingerprint(accessToken),
    });
    return true;
  }

  /** Takes the lock for `ttlMs` unless a live holder has it. */
  async acquireLock(ttlMs: number): Promise<StoreLock | undefined> {
    await this.backend.pause();
    this.check();
    const owner = this.backend.tryLock(ttlMs);
    if (owner === undefined) return undefined;
    return {
      release: async () => {
        await this.backend.pause();
        this.check();
        this.backend.unlock(owner);
      },
      extend: async (ttl: number) => {
        await this.backend.pause();
        this.check();
        return this.backend.extendLock(owner, ttl);
      },
    };
  }

  /** Resolves with the record once its access token is not `current`, or undefined after `timeoutMs`. */
  async waitForChange(current: string | undefined, timeoutMs: number): Promise<TokenRecord | undefined> {
    await this.backend.pause();
    this.check();
    const now = this.backend.read();
    if (now?.accessToken !== current) return now;
    const timer = new AbortController();
    return new Promise<TokenRecord | undefined>((resolve) => {
      const remove = this.backend.addWaiter({
        current,
        resolve: (record) => {
          timer.abort();
          resolve(record);
        },
      });
      this.backend.clock.sleep(timeoutMs, timer.signal).then(
        () => {
          remove();
          resolve(undefined);
        },
        () => {},
      );
    });
  }

  /** Subscribes to changes made through other connections. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Degraded while the backend is down. */
  health(): StoreHealth {
    return this.backend.down ? { state: 'degraded', reason: 'shared store unreachable' } : { state: 'ok' };
  }

  /** Disconnects from the backend. */
  async close(): Promise<void> {
    this.listeners.clear();
    this.backend.disconnect(this);
  }

  /** @internal */
  notify(record: TokenRecord | undefined, info?: StoreChangeInfo): void {
    if (this.dead || this.deaf) return;
    for (const listener of this.listeners) listener(record, info);
  }
}
