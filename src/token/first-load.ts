import { fingerprint } from './fingerprint.js';
import type { FleetRefresh } from './fleet-refresh.js';
import type { TokenCacheSettings } from './options.js';
import type { StoreSync, WriteOnTop, WriteOutcome } from './store-sync.js';
import type { Clock, Logger, TokenRecord } from './types.js';

/** What the first read of the store needs from its cache. */
export interface FirstLoadParts {
  readonly name: string;
  readonly settings: TokenCacheSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sync: StoreSync;
  readonly fleet: FleetRefresh;
  /** The store is shared (a fleet): another process may seed or rotate meanwhile. */
  readonly shared: boolean;
  loadRecord(): Promise<TokenRecord | undefined>;
  storeFailed(op: string, err: unknown): void;
  save(
    record: TokenRecord,
    onTop: WriteOnTop,
    refreshTokenChanged: boolean,
    base: number,
  ): Promise<WriteOutcome>;
  /** Callers may go ahead (the seed's save runs on). */
  markLoaded(): void;
}

/**
 * Reads the store once at start: adopts its record (and access token when still usable), or
 * installs the configured seed refresh token when the store holds none rotated from it. A seed is
 * a grant whose login time is unknown: it counts from now, as an estimate.
 */
export async function firstLoad(p: FirstLoadParts): Promise<void> {
  let record = await p.loadRecord();
  const seed = p.settings.seedRefreshToken;
  const seedFp = fingerprint(seed);
  const needsSeed = (r: TokenRecord | undefined) =>
    seed !== undefined && (!r?.refreshToken || r.seedFingerprint !== seedFp);
  if (seed !== undefined && needsSeed(record)) {
    // In a fleet another process may have seeded (and rotated) since our read: decide under the
    // refresh lock, on a fresh read; the versioned save is the final word.
    const lock = await p.fleet.seedLock();
    try {
      if (p.shared) record = await p.loadRecord();
      if (record !== undefined) p.sync.adoptRecord(record);
      if (needsSeed(record)) {
        p.sync.startGrant(seed, { seedFingerprint: seedFp, estimated: true });
        p.markLoaded();
        p.logger.info(
          { cache: p.name, refresh_token: seedFp },
          'using the configured refresh token (store held none from this seed)',
        );
        // Based on the version read: a peer that seeded since makes this save stale, not lost.
        await p.save(p.sync.record(), needsSeed, true, record?.version ?? 0);
        return;
      }
    } finally {
      await lock?.release().catch((err: unknown) => p.storeFailed('unlock', err));
    }
  }
  if (record !== undefined && p.sync.generation === 0) {
    p.sync.adoptRecord(record);
    const g = p.sync.grant;
    if (g.refreshToken !== undefined && g.authorizedAt === undefined) {
      // A record from before logins were dated: count from now, as an estimate.
      g.authorizedAt = p.clock.now();
      g.authorizedAtEstimated = true;
    }
    const candidate = p.sync.adoptIfBetter(record, false);
    if (candidate !== undefined)
      p.logger.info(
        {
          cache: p.name,
          fingerprint: candidate.fingerprint,
          expires_in_s: Math.round((candidate.deadlineMono - p.clock.monotonic()) / 1000),
        },
        'reusing stored access token',
      );
  }
}
