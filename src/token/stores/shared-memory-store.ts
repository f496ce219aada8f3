import { systemClock } from '../clock.js';
import { fingerprint } from '../fingerprint.js';
import type { Clock, StoreChangeInfo, StoreHealth, StoreLock, TokenRecord, TokenStore } from '../types.js';
import { withoutAccessToken } from './memory-store.js';

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

  /** @internal */
  check(): void {
    if (this.down) throw new Error('shared store unreachable');
  }

  /** @internal */
  read(): TokenRecord | undefined {
    return this.peek();
  }

  /** @internal */
  write(from: SharedMemoryStore, record: TokenRecord | undefined, info?: StoreChangeInfo): void {
    this.record = record ? { ...record } : undefined;
    const changed = this.record?.accessToken;
    const woken = this.waiters.filter((w) => w.current !== changed);
    this.waiters = this.waiters.filter((w) => w.current === changed);
    for (const w of woken) w.resolve(this.peek());
    for (const conn of this.connections) if (conn !== from) conn.notify(this.peek(), info);
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
  private readonly listeners = new Set<Listener>();

  /** Use `backend.connect()`. */
  constructor(private readonly backend: SharedMemoryBackend) {}

  /** Reads the shared record. */
  async load(): Promise<TokenRecord | undefined> {
    await Promise.resolve();
    this.backend.check();
    return this.backend.read();
  }

  /** Replaces the shared record and tells the other connections. */
  async save(record: TokenRecord): Promise<void> {
    await Promise.resolve();
    this.backend.check();
    this.backend.write(this, record);
  }

  /** Drops the shared access token if it is still `accessToken`, telling the others which one. */
  async invalidate(accessToken: string): Promise<boolean> {
    await Promise.resolve();
    this.backend.check();
    const record = this.backend.read();
    if (!record || record.accessToken !== accessToken) return false;
    this.backend.write(this, withoutAccessToken(record), {
      invalidatedFingerprint: fingerprint(accessToken),
    });
    return true;
  }

  /** Takes the lock for `ttlMs` unless a live holder has it. */
  async acquireLock(ttlMs: number): Promise<StoreLock | undefined> {
    await Promise.resolve();
    this.backend.check();
    const owner = this.backend.tryLock(ttlMs);
    if (owner === undefined) return undefined;
    return {
      release: async () => {
        await Promise.resolve();
        this.backend.check();
        this.backend.unlock(owner);
      },
      extend: async (ttl: number) => {
        await Promise.resolve();
        this.backend.check();
        return this.backend.extendLock(owner, ttl);
      },
    };
  }

  /** Resolves with the record once its access token is not `current`, or undefined after `timeoutMs`. */
  async waitForChange(current: string | undefined, timeoutMs: number): Promise<TokenRecord | undefined> {
    await Promise.resolve();
    this.backend.check();
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
    for (const listener of this.listeners) listener(record, info);
  }
}
