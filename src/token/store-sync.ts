import { randomUUID } from 'node:crypto';
import { type ActiveToken, toActiveToken } from './active-token.js';
import type { BoundedStore } from './bounded-store.js';
import { StaleWriteError } from './errors.js';
import { fingerprint } from './fingerprint.js';
import type { TokenCacheSettings } from './options.js';
import type { StoreChangeInfo, TokenRecord } from './types.js';

const MAX_REMEMBERED_REJECTIONS = 8;
/** A stale write is re-read and retried at most this often before the store's record is adopted. */
const MAX_WRITE_ROUNDS = 5;

/** The grant this cache refreshes with: the refresh token and what is known about its login. */
export interface Grant {
  refreshToken: string | undefined;
  seedFingerprint: string | undefined;
  grantId: string | undefined;
  authorizedAt: number | undefined;
  authorizedAtEstimated: boolean;
  /** Set while the grant was ended by a Disconnect (here or elsewhere). */
  disconnectedAt: number | undefined;
}

/** How a versioned write ended. */
export type WriteOutcome = 'saved' | 'superseded' | 'failed';

/** Decides whether a write may go on top of the newer record a stale write found in the store. */
export type WriteOnTop = (stored: TokenRecord) => boolean;

/** What the store sync needs from its cache. */
export interface SyncHost {
  readonly name: string;
  readonly settings: TokenCacheSettings;
  storeOk(): void;
  /** A read of the record succeeded. */
  storeRead(): void;
  storeFailed(op: string, err: unknown): void;
  /**
   * The store brought a refresh token: a new grant (a login elsewhere; every gate resets) or the
   * same grant rotated by another process (a dead-grant verdict no longer holds).
   */
  refreshTokenAdopted(newGrant: boolean): void;
  /** Another process disconnected the account (ended the grant): ask for a login. */
  grantEnded(): void;
  /** A token was adopted from the store. */
  adopted(active: ActiveToken, record: TokenRecord): void;
  debug(fields: object, msg: string): void;
}

/**
 * The cache's record as it knows it — access token, grant, store version — kept in step with the
 * store: versioned writes that adopt a newer stored record instead of overwriting it, and adoption
 * of changes other processes made. Bumps `generation` whenever the grant changes, so a refresh
 * started under another grant discards its result.
 */
export class StoreSync {
  current: ActiveToken | undefined;
  /** The last token this cache held, even after it was dropped (never adopted back from a store). */
  lastToken: string | undefined;
  readonly grant: Grant = {
    refreshToken: undefined,
    seedFingerprint: undefined,
    grantId: undefined,
    authorizedAt: undefined,
    authorizedAtEstimated: false,
    disconnectedAt: undefined,
  };
  /** The store version this cache last read or wrote (0: none). */
  version = 0;
  /** Bumped by every change of grant (a login here or elsewhere). */
  generation = 0;
  /** A write that failed and must be made again once the store recovers, with its rule. */
  unsaved: { record: TokenRecord; onTop: WriteOnTop } | undefined;
  private readonly rejected: string[] = [];
  /** Writes on their way to the store: what they carry is newer than what they go on top of. */
  private readonly writing = new Set<{ record: TokenRecord; onTop: WriteOnTop }>();

  constructor(
    private readonly host: SyncHost,
    private readonly store: BoundedStore,
    private readonly clock: { monotonic(): number; now(): number; sinceBoot?(): number },
  ) {}

  /** The record this cache would save now: its grant, plus its access token when it has one. */
  record(
    active?: ActiveToken,
    times?: Pick<TokenRecord, 'expiresAt' | 'obtainedAt' | 'expiresIn' | 'scope'>,
  ): TokenRecord {
    const g = this.grant;
    const out: TokenRecord = {};
    if (active !== undefined && times !== undefined) {
      out.accessToken = active.token;
      Object.assign(out, times);
    }
    if (g.refreshToken !== undefined) out.refreshToken = g.refreshToken;
    if (g.seedFingerprint !== undefined) out.seedFingerprint = g.seedFingerprint;
    if (g.grantId !== undefined) out.grantId = g.grantId;
    if (g.authorizedAt !== undefined) out.authorizedAt = g.authorizedAt;
    if (g.authorizedAtEstimated) out.authorizedAtEstimated = true;
    if (g.refreshToken === undefined && g.disconnectedAt !== undefined) out.disconnectedAt = g.disconnectedAt;
    return dropUndefined(out);
  }

  /** True when `record` belongs to this cache's grant. */
  sameGrant(record: TokenRecord): boolean {
    return record.grantId === this.grant.grantId;
  }

  /**
   * Starts a new grant (a login, or a seed from configuration): new grant id, authorized now
   * (`estimated` for a seed, whose real login time is unknown), the old access token dropped.
   */
  startGrant(refreshToken: string, opts: { seedFingerprint?: string; estimated: boolean }): void {
    this.generation++;
    Object.assign(this.grant, {
      refreshToken,
      grantId: randomUUID(),
      authorizedAt: this.clock.now(),
      authorizedAtEstimated: opts.estimated,
      disconnectedAt: undefined,
    } satisfies Partial<Grant>);
    if (opts.seedFingerprint !== undefined) this.grant.seedFingerprint = opts.seedFingerprint;
    this.unsaved = undefined;
    this.drop();
  }

  /**
   * Ends the grant (Disconnect): no refresh token, a new grant id (a refresh of the old grant in
   * flight discards its result), the access token dropped. `at` and `grantId`: when, and under
   * which id, another process's Disconnect ended it.
   */
  endGrant(at: number = this.clock.now(), grantId: string = randomUUID()): void {
    this.generation++;
    Object.assign(this.grant, {
      refreshToken: undefined,
      disconnectedAt: at,
      grantId,
      authorizedAt: undefined,
      authorizedAtEstimated: false,
    } satisfies Partial<Grant>);
    this.unsaved = undefined;
    this.drop();
  }

  /**
   * Saves `record` as the version after `base` (the version the write was decided on: for a
   * refresh, the one read before it started). When the store holds a newer one, re-reads it: `onTop`
   * says whether this write still belongs on top (e.g. only an invalidation came between) and it
   * is retried; otherwise the stored record is adopted and the write dropped ('superseded').
   * 'failed': the store could not be written or read; nothing was overwritten.
   */
  async write(record: TokenRecord, onTop: WriteOnTop, base: number = this.version): Promise<WriteOutcome> {
    const entry = { record, onTop };
    this.writing.add(entry);
    try {
      return await this.writeRounds(record, onTop, base);
    } finally {
      this.writing.delete(entry);
    }
  }

  private async writeRounds(record: TokenRecord, onTop: WriteOnTop, base: number): Promise<WriteOutcome> {
    let expected = base;
    for (let round = 0; ; round++) {
      try {
        const version = await this.store.save(record, expected);
        // A store without versions returns nothing: count locally, last writer wins.
        this.version = Math.max(this.version, version ?? this.version + 1);
        this.unsaved = undefined; // every write carries the newest refresh token
        this.host.storeOk();
        return 'saved';
      } catch (err) {
        if (!(err instanceof StaleWriteError)) {
          this.host.storeFailed('save', err);
          return 'failed';
        }
      }
      let stored: TokenRecord | undefined;
      try {
        stored = await this.store.load();
        this.host.storeOk();
        this.host.storeRead();
      } catch (err) {
        this.host.storeFailed('load', err);
        return 'failed';
      }
      if (stored === undefined) {
        expected = 0;
        continue;
      }
      if (round < MAX_WRITE_ROUNDS && onTop(stored)) {
        expected = stored.version ?? 0;
        continue;
      }
      this.adoptRecord(stored);
      this.adoptIfBetter(stored, false);
      return 'superseded';
    }
  }

  /**
   * Takes what a newer stored record says about the grant: a login elsewhere (another grant id)
   * replaces this cache's grant and drops its token; a rotation elsewhere brings a new refresh
   * token; a Disconnect elsewhere (another grant id, no refresh token) ends this cache's grant too.
   * A record older than the one this cache knows is ignored.
   */
  adoptRecord(record: TokenRecord): void {
    if (record.version !== undefined) {
      if (record.version < this.version) return;
      this.version = record.version;
    }
    const rt = record.refreshToken;
    // A record without a refresh token and no grant id of its own ends nothing (an unversioned
    // or older store's record); nor does one when this cache holds no grant to end.
    const ended =
      rt === undefined &&
      record.disconnectedAt !== undefined &&
      this.grant.refreshToken !== undefined &&
      !this.sameGrant(record);
    if (rt === undefined && !ended) return;
    // A write of ours the store has not got yet (a login, a rotated refresh token) is newer than
    // what it holds, when it belongs on top of it.
    if (this.unsaved?.onTop(record)) return;
    for (const w of this.writing) if (w.onTop(record)) return;
    if (rt === undefined) {
      this.endGrant(record.disconnectedAt ?? this.clock.now(), record.grantId);
      this.host.grantEnded();
      this.host.debug({}, 'another process disconnected the account');
      return;
    }
    if (!this.sameGrant(record)) {
      this.generation++;
      Object.assign(this.grant, {
        refreshToken: rt,
        seedFingerprint: record.seedFingerprint ?? this.grant.seedFingerprint,
        grantId: record.grantId,
        authorizedAt: record.authorizedAt,
        authorizedAtEstimated: record.authorizedAtEstimated === true,
        disconnectedAt: undefined,
      } satisfies Grant);
      this.unsaved = undefined;
      if (this.current !== undefined && this.current.token !== record.accessToken) this.drop();
      this.host.refreshTokenAdopted(true);
      this.host.debug({ refresh_token: fingerprint(rt) }, 'another process set a new grant (a login)');
      return;
    }
    if (this.grant.authorizedAt === undefined && record.authorizedAt !== undefined) {
      this.grant.authorizedAt = record.authorizedAt;
      this.grant.authorizedAtEstimated = record.authorizedAtEstimated === true;
    }
    if (rt === this.grant.refreshToken) return;
    this.grant.refreshToken = rt;
    this.unsaved = undefined;
    this.host.refreshTokenAdopted(false);
  }

  /** Reacts to a change published by another process through a shared store. */
  onStoreChange(record: TokenRecord | undefined, info?: StoreChangeInfo): void {
    if (record !== undefined) this.adoptRecord(record);
    if (record?.accessToken !== undefined) {
      if (record.version === undefined || record.version >= this.version) this.adoptIfBetter(record, false);
      return;
    }
    const cur = this.current;
    if (cur === undefined) return;
    const matches =
      info?.invalidatedFingerprint === undefined || info.invalidatedFingerprint === cur.fingerprint;
    if (matches) {
      this.drop();
      this.host.debug({ fingerprint: cur.fingerprint }, 'access token dropped by another process');
    }
  }

  /** The current token if it replaced `replacing` and is not yet due for refresh-ahead. */
  freshReplacement(replacing: string | undefined): ActiveToken | undefined {
    const cur = this.current;
    if (cur === undefined || cur.token === replacing) return undefined;
    return this.clock.monotonic() < cur.refreshAheadAtMono ? cur : undefined;
  }

  /**
   * Installs a stored token if it belongs to this grant, is usable (fresh, when asked), newer than
   * the current one and not rejected.
   */
  adoptIfBetter(record: TokenRecord, requireFresh: boolean): ActiveToken | undefined {
    const token = record.accessToken;
    if (token === undefined || this.rejected.includes(token) || !this.sameGrant(record)) return undefined;
    const mono = this.clock.monotonic();
    const candidate = toActiveToken(record, mono, this.clock.now(), this.host.settings);
    if (candidate === undefined || mono >= candidate.usableUntilMono) return undefined;
    if (requireFresh && mono >= candidate.refreshAheadAtMono) return undefined;
    const cur = this.current;
    if (cur !== undefined && (cur.token === token || candidate.deadlineMono < cur.deadlineMono))
      return undefined;
    this.install(candidate);
    this.host.adopted(candidate, record);
    return candidate;
  }

  /** Makes `active` the token handed out. */
  install(active: ActiveToken): void {
    active.refMono = this.clock.monotonic();
    active.refWall = this.clock.now();
    active.refBoot = this.clock.sinceBoot?.();
    this.current = active;
    this.lastToken = active.token;
  }

  /** Drops the current token (remembered, so no store hands it back). */
  drop(): void {
    if (this.current === undefined) return;
    this.remember(this.current.token);
    this.current = undefined;
  }

  /** Remembers a rejected token so it is never adopted back from a store. */
  remember(token: string): void {
    if (this.rejected.includes(token)) return;
    this.rejected.push(token);
    if (this.rejected.length > MAX_REMEMBERED_REJECTIONS) this.rejected.shift();
  }
}

function dropUndefined(record: TokenRecord): TokenRecord {
  for (const key of Object.keys(record) as Array<keyof TokenRecord>)
    if (record[key] === undefined) delete record[key];
  return record;
}
