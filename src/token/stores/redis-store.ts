/**
 * Fleet mode: several processes or machines share one OAuth token through Redis.
 *
 * Layout (key per client id and optional user, prefix `spotipi:token`):
 *   <prefix>:<clientId>[:<user>]          hash: accessToken, accessTokenHash (SHA-256), expiresAt,
 *                                         obtainedAt, expiresIn, scope, refreshToken, seedFingerprint, version,
 *                                         grantId, authorizedAt, authorizedAtEstimated, disconnectedAt,
 *                                         invalidatedFingerprint (of the token an invalidation dropped, until the next save)
 *   <prefix>:<clientId>[:<user>]:lock     the refresh lock (SET NX PX, random value, Lua compare-and-delete;
 *                                         the holder renews its TTL by compare-and-PEXPIRE while it refreshes)
 *   <prefix>:<clientId>[:<user>]:changed  pub/sub channel: "<instance> save" | "<instance> invalidate <fp>"
 *
 * Security: without `encryptionKey` the access and refresh tokens are stored in plain text, so
 * anyone who can read this Redis (or its dumps, replicas, MONITOR output) can act as the Spotify
 * user until the refresh token is revoked. With a 32-byte key (AES-256-GCM, a fresh IV per write,
 * the key and field name as additional data) Redis holds only ciphertext. A key list (first
 * writes, all read; `plaintext` for none) rolls a key out or rotates it one restart at a time. A
 * record this instance cannot decrypt is reported (StoreReadError), never read as empty and never
 * written over: saves are compare-and-set on `version` in one Lua script.
 * Generate a key with `openssl rand -base64 32`.
 * The hash of the access token is stored unencrypted (for compare-and-delete); it does not reveal it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import { systemClock } from '../clock.js';
import { StaleWriteError, StoreReadError } from '../errors.js';
import type { Clock, Logger, StoreHealth, StoreLock, TokenRecord, TokenStore } from '../types.js';
import { FieldCipher, parseEncryptionKeyList } from './redis-crypto.js';

/** Options of a Redis-backed, fleet-shared token store. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://...` for TLS. */
  url: string;
  /** OAuth client id: one shared token per client id (and user). */
  clientId: string;
  /** Optional user/account discriminator when one client id serves several accounts. */
  user?: string;
  /** Key namespace; the record lives at `<prefix>:<clientId>[:<user>]`. Default `spotipi:token`. */
  keyPrefix?: string;
  /**
   * 32-byte AES-256-GCM key (64 hex chars or base64) that encrypts the access and refresh
   * tokens at rest. Without it, anyone who can read Redis can read the tokens. A comma-separated
   * list (or an array) rolls keys: the first writes, every one reads; `plaintext` (or undefined
   * in an array) stands for no encryption.
   */
  encryptionKey?: string | Buffer | ReadonlyArray<string | Buffer | undefined>;
  logger?: Logger;
  /** Drives waitForChange timeouts and polling. Default: the system clock. */
  clock?: Clock;
  /** A command that gets no reply within this time fails (a hung Redis). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** TCP connect timeout. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** How long a call made before the first connection waits for it. Default 1000 ms. */
  startupWaitMs?: number;
  /** Upper bound of the reconnect backoff. Default 2000 ms. */
  retryMaxDelayMs?: number;
  /** waitForChange re-reads the record at least this often, in case a notification is lost. Default 250 ms. */
  pollIntervalMs?: number;
  /** Extra ioredis options (tests, TLS); the fail-fast settings above win. */
  redisOptions?: RedisOptions;
}

type Fields = Record<string, string>;

/** Detail of a change (structurally the cache's StoreChangeInfo). */
export interface RedisChangeInfo {
  /** `fingerprint()` of the access token an invalidation dropped. */
  invalidatedFingerprint?: string;
}

type ChangeListener = (record: TokenRecord | undefined, info?: RedisChangeInfo) => void;

const NOTIFY_SAVE = 'save';
const NOTIFY_INVALIDATE = 'invalidate';

// Deletes the lock only if it still holds our value, so a late release never frees another holder's lock.
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// Renews the lock's TTL only while it still holds our value (a slow holder keeps it; an expired one does not come back).
const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

// Drops the access token and the fields describing it only while it is still the rejected
// token; the refresh token stays. Publishes in the same script so nobody sees one without the other,
// and notes the dropped token's fingerprint for instances that miss the message (they resync).
const INVALIDATE = `
if redis.call('HGET', KEYS[1], 'accessTokenHash') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'accessToken', 'accessTokenHash', 'expiresAt', 'obtainedAt', 'expiresIn', 'scope')
  redis.call('HSET', KEYS[1], 'invalidatedFingerprint', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`;

// Compare-and-set save: writes only while the stored version is ARGV[1] (0: no record), as
// ARGV[1] + 1, and publishes in the same script. ARGV[4] field/value pairs follow, then the
// fields to drop. Returns {1, new version} or {0, stored version}.
const SAVE = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
if stored ~= tonumber(ARGV[1]) then return {0, stored} end
local n = tonumber(ARGV[4])
local args = {}
for i = 1, n * 2 do args[i] = ARGV[4 + i] end
if n > 0 then redis.call('HSET', KEYS[1], unpack(args)) end
local drops = {}
for i = 5 + n * 2, #ARGV do drops[#drops + 1] = ARGV[i] end
if #drops > 0 then redis.call('HDEL', KEYS[1], unpack(drops)) end
redis.call('HSET', KEYS[1], 'version', stored + 1)
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {1, stored + 1}`;

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Message of an error, safe to log (ioredis errors carry no command arguments). */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A TokenStore shared by every process that points at the same Redis: one hash per client id
 * (and user), a SET NX PX refresh lock released by compare-and-delete, pub/sub change
 * notifications, and atomic compare-and-delete invalidation. Calls fail fast while Redis is
 * unreachable (the cache falls back to its own copy); the store reconnects with backoff and
 * reports `degraded` health meanwhile, warning once per outage.
 */
export class RedisStore implements TokenStore {
  readonly kind = 'redis';
  readonly versioned = true;
  /** The Redis key of the token record. */
  readonly key: string;
  readonly lockKey: string;
  readonly channel: string;

  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly instanceId = randomUUID();
  /** Seals new values (undefined: plain text). */
  private readonly cipher: FieldCipher | undefined;
  /** Opens stored values, tried in order (undefined: plain text is accepted). */
  private readonly readers: Array<FieldCipher | undefined>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly startupWaitMs: number;
  private readonly pollIntervalMs: number;
  private readonly listeners = new Set<ChangeListener>();
  /** Wakes pending waitForChange calls on any notification. */
  private readonly wakers = new Set<() => void>();
  private healthState: StoreHealth = { state: 'degraded', reason: 'connecting to redis' };
  private everReady = false;
  private warned = false;
  /** Subscribed to the change channel right now. */
  private subscribed = false;
  /**
   * Listeners may have missed a change: a connection dropped, or (true at first) a change landed
   * between their first read and the subscription. Tell them the current state once subscribed.
   */
  private resyncPending = true;
  private closed = false;

  constructor(private readonly options: RedisStoreOptions) {
    const prefix = options.keyPrefix ?? 'spotipi:token';
    this.key = [prefix, options.clientId, ...(options.user ? [options.user] : [])].join(':');
    this.lockKey = `${this.key}:lock`;
    this.channel = `${this.key}:changed`;
    this.logger = options.logger ?? noopLogger;
    this.clock = options.clock ?? systemClock;
    this.startupWaitMs = options.startupWaitMs ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    const keys = keyList(options.encryptionKey);
    this.readers = keys.map((k) => (k === undefined ? undefined : new FieldCipher(k)));
    this.cipher = this.readers[0];
    this.client = new Redis(options.url, this.connectionOptions('main'));
    this.client.on('ready', () => this.onReady());
    this.client.on('error', (err: unknown) => this.onConnectionLost(describe(err)));
    this.client.on('close', () => this.onConnectionLost('connection closed'));
    // Connect in the background: construction never blocks, and never throws for an absent Redis.
    this.client.connect().catch(() => {});
  }

  private connectionOptions(name: string): RedisOptions {
    const maxDelay = this.options.retryMaxDelayMs ?? 2000;
    return {
      ...this.options.redisOptions,
      connectionName: `${this.options.redisOptions?.connectionName ?? 'spotipi'}-${name}`,
      lazyConnect: true,
      // Fail fast while disconnected: the token cache serves from memory instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
      commandTimeout: this.options.commandTimeoutMs ?? 1000,
      connectTimeout: this.options.connectTimeoutMs ?? 1000,
      // Retry forever (to rejoin without a restart) with bounded, jittered exponential backoff.
      retryStrategy: (times: number) => {
        const ceiling = Math.min(maxDelay, 50 * 2 ** Math.min(times, 10));
        return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      },
    };
  }

  private onReady(): void {
    const wasDegraded = this.healthState.state === 'degraded';
    this.healthState = { state: 'ok' };
    this.everReady = true;
    if (wasDegraded && this.warned) {
      this.logger.info(
        { store: 'redis', key: this.key },
        'redis token store reachable again; sharing resumed',
      );
    }
    this.warned = false;
    this.resync();
  }

  private onConnectionLost(reason: string): void {
    if (this.closed) return;
    if (this.client.status === 'ready') return;
    this.resyncPending = true;
    this.markDegraded(reason);
  }

  private markDegraded(reason: string): void {
    this.healthState = { state: 'degraded', reason: `redis unreachable: ${reason}` };
    if (!this.warned) {
      this.warned = true;
      this.logger.warn(
        { store: 'redis', key: this.key, reason },
        'redis token store unreachable; each instance uses its own token until it returns',
      );
    }
  }

  /** Resolves once the main connection is ready; rejects at once while Redis is known to be down. */
  private async ready(): Promise<void> {
    if (this.closed) throw new Error('redis token store is closed');
    if (this.client.status === 'ready') return;
    const starting = ['wait', 'connecting', 'connect'].includes(this.client.status);
    if (this.everReady || !starting || this.warned) {
      this.markDegraded(`connection ${this.client.status}`);
      throw new Error(`redis token store unavailable (${this.client.status})`);
    }
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onError = (e: unknown) => done(new Error(`redis token store unavailable: ${describe(e)}`));
      const timer = setTimeout(
        () => done(new Error('redis token store unavailable (connect timeout)')),
        this.startupWaitMs,
      );
      this.client.once('ready', onReady);
      this.client.once('error', onError);
    });
  }

  /** Runs one Redis operation with fail-fast semantics and health bookkeeping. */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      const result = await fn();
      // A slow spell (commands timing out on a live connection) ends with the first answer.
      if (this.healthState.state === 'degraded' && this.client.status === 'ready') this.onReady();
      return result;
    } catch (err) {
      const message = describe(err);
      // Anything but an error reply from Redis itself (a closed socket, a timeout) means unreachable.
      if (!(err instanceof (ReplyError as ErrorConstructor))) this.markDegraded(message);
      throw new Error(`redis token store ${op} failed: ${message}`);
    }
  }

  private context(field: string): string {
    return `${this.key}#${field}`;
  }

  private sealField(field: string, value: string): string {
    return this.cipher ? this.cipher.seal(value, this.context(field)) : value;
  }

  private openField(field: string, value: string): string {
    if (!FieldCipher.isSealed(value)) {
      if (this.readers.includes(undefined)) return value;
      throw new Error(
        'value is plain text but an encryption key is configured (list "plaintext" to accept it)',
      );
    }
    for (const reader of this.readers) {
      if (reader === undefined) continue;
      try {
        return reader.open(value, this.context(field));
      } catch {
        // sealed with another key of the list, or none of them
      }
    }
    throw new Error(
      this.cipher === undefined && !this.readers.some((r) => r !== undefined)
        ? 'value is encrypted but no encryption key is configured'
        : 'value was sealed with a key this instance does not have',
    );
  }

  /**
   * Reads the shared record; undefined when there is none. Throws StoreReadError when one exists
   * that this instance cannot read (another encryption key, a non-hash value), and rejects while
   * Redis is down.
   */
  async load(): Promise<TokenRecord | undefined> {
    return (await this.loadWithInfo()).record;
  }

  /** The record, and for a record whose token was invalidated, which token that was. */
  private async loadWithInfo(): Promise<{ record: TokenRecord | undefined; info?: RedisChangeInfo }> {
    let fields: Fields;
    try {
      fields = await this.run('load', () => this.client.hgetall(this.key));
    } catch (err) {
      // Something else lives at our key (a collision, a manual edit): unreadable, not an outage.
      if (!/WRONGTYPE/.test(describe(err))) throw err;
      this.logger.warn(
        { store: 'redis', key: this.key },
        'redis token key holds a non-hash value; not overwriting it',
      );
      throw new StoreReadError(`redis key ${this.key} holds a non-hash value; it is left alone`);
    }
    const record = this.decode(fields);
    const dropped = fields.invalidatedFingerprint;
    if (record !== undefined && record.accessToken === undefined && dropped)
      return { record, info: { invalidatedFingerprint: dropped } };
    return { record };
  }

  private decode(fields: Fields): TokenRecord | undefined {
    if (Object.keys(fields).length === 0) return undefined;
    const record: TokenRecord = {};
    try {
      if (fields.accessToken) record.accessToken = this.openField('accessToken', fields.accessToken);
      if (fields.refreshToken) record.refreshToken = this.openField('refreshToken', fields.refreshToken);
    } catch (err) {
      this.logger.warn(
        { store: 'redis', key: this.key, reason: describe(err) },
        'redis token record cannot be decrypted (check SPOTIPI_REDIS_KEY); not overwriting it',
      );
      throw new StoreReadError(
        `redis token record cannot be decrypted: ${describe(err)} (check SPOTIPI_REDIS_KEY on every instance)`,
      );
    }
    const expiresAt = toNumber(fields.expiresAt);
    const obtainedAt = toNumber(fields.obtainedAt);
    const expiresIn = toNumber(fields.expiresIn);
    if (record.accessToken !== undefined) {
      if (expiresAt !== undefined) record.expiresAt = expiresAt;
      if (obtainedAt !== undefined) record.obtainedAt = obtainedAt;
    }
    if (expiresIn !== undefined) record.expiresIn = expiresIn;
    if (fields.scope !== undefined) record.scope = fields.scope;
    if (fields.seedFingerprint !== undefined) record.seedFingerprint = fields.seedFingerprint;
    if (fields.grantId !== undefined) record.grantId = fields.grantId;
    const authorizedAt = toNumber(fields.authorizedAt);
    if (authorizedAt !== undefined) record.authorizedAt = authorizedAt;
    if (fields.authorizedAtEstimated === '1') record.authorizedAtEstimated = true;
    const disconnectedAt = toNumber(fields.disconnectedAt);
    if (disconnectedAt !== undefined) record.disconnectedAt = disconnectedAt;
    record.version = toNumber(fields.version) ?? 0;
    return record;
  }

  /**
   * Replaces the shared record if its version is still `expectedVersion` (0: none), as one Lua
   * script that also notifies the fleet; throws StaleWriteError otherwise. A record without a
   * refresh token keeps the stored one, so no writer can drop the fleet's refresh token by omission;
   * only a Disconnect (`disconnectedAt`) removes it.
   */
  async save(record: TokenRecord, expectedVersion = 0): Promise<number> {
    const set: string[] = [];
    const drop: string[] = [];
    const put = (field: string, value: string | number | boolean | undefined, secret = false) => {
      if (value === undefined || value === false) drop.push(field);
      else
        set.push(field, secret ? this.sealField(field, String(value)) : value === true ? '1' : String(value));
    };
    put('accessToken', record.accessToken, true);
    put('accessTokenHash', record.accessToken === undefined ? undefined : sha256(record.accessToken));
    put('expiresAt', record.expiresAt);
    put('obtainedAt', record.obtainedAt);
    put('expiresIn', record.expiresIn);
    put('scope', record.scope);
    put('seedFingerprint', record.seedFingerprint);
    put('grantId', record.grantId);
    put('authorizedAt', record.authorizedAt);
    put('authorizedAtEstimated', record.authorizedAtEstimated);
    put('disconnectedAt', record.disconnectedAt);
    drop.push('invalidatedFingerprint'); // a save is newer than any invalidation before it
    // Omitting the refresh token keeps the stored one; a Disconnect says so and drops it.
    if (record.refreshToken !== undefined || record.disconnectedAt !== undefined)
      put('refreshToken', record.refreshToken, true);
    const reply = (await this.run('save', () =>
      this.client.eval(
        SAVE,
        1,
        this.key,
        String(expectedVersion),
        this.channel,
        this.message(NOTIFY_SAVE),
        String(set.length / 2),
        ...set,
        ...drop,
      ),
    )) as [number, number];
    if (reply[0] !== 1) {
      throw new StaleWriteError(
        `stale write: redis holds version ${reply[1]}, not ${expectedVersion}`,
        reply[1],
      );
    }
    return reply[1];
  }

  /** Drops the shared access token only if it is still `accessToken`, atomically; true when dropped. */
  async invalidate(accessToken: string): Promise<boolean> {
    const hash = sha256(accessToken);
    // The dropped token's fingerprint (fingerprint(): first 8 hex of its SHA-256) lets holders of a newer one keep it.
    const fp = hash.slice(0, 8);
    const notice = this.message(NOTIFY_INVALIDATE, fp);
    const dropped = await this.run('invalidate', () =>
      this.client.eval(INVALIDATE, 1, this.key, hash, this.channel, notice, fp),
    );
    return dropped === 1;
  }

  /** Takes the fleet-wide refresh lock (SET NX PX with a unique value); undefined when held elsewhere. */
  async acquireLock(ttlMs: number): Promise<StoreLock | undefined> {
    const token = randomUUID();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const ok = await this.run('acquireLock', () => this.client.set(this.lockKey, token, 'PX', ttl, 'NX'));
    if (ok !== 'OK') return undefined;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await this.run('releaseLock', () => this.client.eval(RELEASE_LOCK, 1, this.lockKey, token));
        } catch (err) {
          // The lock expires by itself; a failed release only delays the next holder by its TTL.
          this.logger.debug({ store: 'redis', reason: describe(err) }, 'redis refresh lock release failed');
        }
      },
      extend: async (ttlMs: number) => {
        if (released) return false;
        const ttl = Math.max(1, Math.ceil(ttlMs));
        const kept = await this.run('extendLock', () =>
          this.client.eval(EXTEND_LOCK, 1, this.lockKey, token, ttl),
        );
        return kept === 1;
      },
    };
  }

  /**
   * Resolves with the record once it holds an access token other than `current`, woken by the
   * change channel and re-reading every `pollIntervalMs` in case a notification is missed;
   * undefined after `timeoutMs`. Rejects when Redis is unreachable, so the caller can go local.
   */
  async waitForChange(current: string | undefined, timeoutMs: number): Promise<TokenRecord | undefined> {
    this.ensureSubscriber();
    const deadline = this.clock.monotonic() + timeoutMs;
    for (;;) {
      const pause = new AbortController();
      const wake = () => pause.abort();
      this.wakers.add(wake);
      try {
        let record: TokenRecord | undefined;
        try {
          record = await this.load();
        } catch (err) {
          if (this.closed) return undefined;
          throw err;
        }
        if (record?.accessToken !== undefined && record.accessToken !== current) return record;
        const remaining = deadline - this.clock.monotonic();
        if (remaining <= 0 || this.closed) return undefined;
        await this.clock.sleep(Math.min(this.pollIntervalMs, remaining), pause.signal).catch(() => {});
        if (this.closed) return undefined;
      } finally {
        this.wakers.delete(wake);
      }
    }
  }

  /**
   * Calls `listener` with the fresh record whenever another instance saves or invalidates (with
   * the dropped token's fingerprint), and with the current token after a reconnect.
   */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    this.ensureSubscriber();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** `degraded` with a reason while Redis is unreachable. */
  health(): StoreHealth {
    return { ...this.healthState };
  }

  /** Closes both connections; pending waits resolve undefined. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.wakers) wake();
    this.listeners.clear();
    await Promise.all(
      [this.client, this.subscriber].map(async (c) => {
        if (!c) return;
        if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
        else c.disconnect();
      }),
    );
  }

  private message(kind: string, detail?: string): string {
    return detail === undefined ? `${this.instanceId} ${kind}` : `${this.instanceId} ${kind} ${detail}`;
  }

  private ensureSubscriber(): void {
    if (this.subscriber || this.closed) return;
    const sub = new Redis(this.options.url, this.connectionOptions('sub'));
    this.subscriber = sub;
    sub.on('error', () => {}); // health is tracked on the main connection
    sub.on('close', () => {
      this.subscribed = false;
      this.resyncPending = true;
    });
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.resync();
        },
        (err: unknown) =>
          this.logger.debug({ store: 'redis', reason: describe(err) }, 'redis subscribe failed'),
      );
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      for (const wake of this.wakers) wake();
      const [from, kind, detail] = message.split(' ');
      if (from === this.instanceId) return; // our own write: nothing new for us
      this.notifyListeners(
        kind === NOTIFY_INVALIDATE && detail ? { invalidatedFingerprint: detail } : undefined,
      );
    });
    sub.connect().catch(() => {});
  }

  /** Changes made while cut off were never delivered: once subscribed and connected, replay the current state. */
  private resync(): void {
    if (!this.resyncPending || !this.subscribed || this.client.status !== 'ready') return;
    this.resyncPending = false;
    for (const wake of this.wakers) wake();
    this.notifyListeners(undefined, true);
  }

  /**
   * Reads the record and hands it to the listeners. A resync replays what was missed: a token, a
   * new refresh token (a login), or an invalidation (with the dropped token's fingerprint, so only
   * its holders drop it); an empty Redis (restarted without persistence) is not news and must not
   * read as "drop your token".
   */
  private notifyListeners(info: RedisChangeInfo | undefined, resync = false): void {
    if (this.listeners.size === 0) return;
    this.loadWithInfo().then(
      ({ record, info: stored }) => {
        if (resync && record === undefined) return;
        const detail = resync ? stored : info;
        for (const listener of this.listeners) listener(record, detail);
      },
      () => {
        this.resyncPending = true; // lost again before the read; the next reconnect replays it
      },
    );
  }
}

/** Builds the fleet store from configuration (what `REDIS_URL` selects). */
export function createRedisStore(options: {
  url: string;
  clientId: string;
  user?: string;
  encryptionKey?: string;
  logger?: Logger;
}): RedisStore {
  return new RedisStore(options);
}

/** The keys of `encryptionKey`, first (the writer) first; [undefined] without encryption. */
function keyList(given: RedisStoreOptions['encryptionKey']): Array<Buffer | undefined> {
  if (given === undefined) return [undefined];
  if (typeof given === 'string') return parseEncryptionKeyList(given);
  if (Buffer.isBuffer(given)) return [given];
  const list = given.flatMap((k) => (typeof k === 'string' ? parseEncryptionKeyList(k) : [k]));
  if (list.length === 0) throw new Error('Redis encryption key list is empty');
  return list;
}
