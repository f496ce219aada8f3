import fc from 'fast-check';
import { expect } from 'vitest';
import { TokenCache, type TokenCacheOptions } from '../token-cache.js';
import type { Clock, TokenStore } from '../types.js';
import { settle } from './fake-issuer.js';
import type { GrantIssuer } from './grant-issuer.js';

/** The shared store under test and the faults the model can inject into it. */
export interface FleetWorld {
  clock: Clock;
  /** A new connection: one cache ("process") uses it. */
  connect(name: string): TokenStore;
  /** Cuts a connection off for good: its process crashed (its lock stays until the TTL). */
  kill(store: TokenStore): Promise<void>;
  /** Ends the current lock holder's lock now, as if its renewals failed. */
  expireLock(): Promise<void>;
  /** Takes the store down or brings it back; absent when the world cannot do it. */
  setDown?(down: boolean): void;
  /** Makes every store call take `ms` (absent: the world cannot). */
  setLatency?(ms: number): void;
  /** Drops change notices to one connection from now on (a lost pub/sub message; absent: cannot). */
  deafen?(store: TokenStore): void;
  /** The stored record's version and refresh token (read around any outage). */
  peek(): Promise<{ version: number; refreshToken: string | undefined } | undefined>;
  /** Lets time pass: virtual or real. */
  advance(ms: number): Promise<void>;
}

/** What one model run tracks about the real system. */
export interface FleetReal {
  world: FleetWorld;
  issuer: GrantIssuer;
  caches: TokenCache[];
  stores: TokenStore[];
  options: Partial<TokenCacheOptions>;
  /** Every caller, with the grant it must get at least. */
  callers: Array<{ settled: boolean; token?: string; minGrant: number; failed: boolean }>;
  /** Grant of the last login whose save reached a store that was up throughout. */
  effectiveGrant: number;
  lastVersion: number;
  /** counts.timeMs when the store last went down. */
  downSinceMs: number;
  /** Connections that lose change notices. */
  deaf: Set<TokenStore>;
  down: boolean;
  /** Faults that may make a refresh token be spent twice or lose a rotation (lock lost, store down, a crash mid-refresh). */
  lockLostOrDown: boolean;
  /** A process crashed while the store was down: a login it had not saved yet died with it. */
  loginMayBeLost: boolean;
  counts: { force: number; invalidate: number; login: number; crash: number; outage: number; timeMs: number };
}

type Cmd = fc.AsyncCommand<object, FleetReal>;

const ALWAYS = () => true;

/** Watches the store after every step: its version never goes back. */
async function observe(r: FleetReal): Promise<void> {
  await settle();
  const stored = await r.world.peek();
  const version = stored?.version ?? 0;
  expect(version).toBeGreaterThanOrEqual(r.lastVersion);
  r.lastVersion = version;
  // A login, once saved, is never replaced by an earlier grant.
  expect(r.issuer.grantOfRefreshToken(stored?.refreshToken) ?? 0).toBeGreaterThanOrEqual(r.effectiveGrant);
}

/**
 * The store is back: an outage of at least lockWaitMs let caches refresh without the lock (as
 * documented), which may spend a refresh token twice; a shorter blip must not.
 */
function storeBack(r: FleetReal): void {
  if (r.counts.timeMs - r.downSinceMs >= (r.options.lockWaitMs ?? 5_000)) r.lockLostOrDown = true;
}

/** Lets time pass until `p` settles (store calls may need it), at most 5 minutes; counted. */
async function through<T>(r: FleetReal, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  await settle();
  for (let waited = 0; !done && waited < 5 * 60_000; waited += 250) {
    r.counts.timeMs += 250;
    await r.world.advance(250);
  }
  return watched;
}

function call(r: FleetReal, i: number, p: Promise<string>): void {
  // A cache that lost the login's notice may serve its old grant's token until it next reads the
  // store (Redis replays the state on reconnect); that it never *saves* over the login is checked below.
  const deaf = r.deaf.has(r.stores[i % r.stores.length] as TokenStore);
  const entry: FleetReal['callers'][number] = {
    settled: false,
    minGrant: deaf ? 0 : r.effectiveGrant,
    failed: false,
  };
  r.callers.push(entry);
  p.then(
    (token) => {
      entry.settled = true;
      entry.token = token;
    },
    () => {
      entry.settled = true;
      entry.failed = true;
    },
  );
  void i;
}

/** Calls in a burst, or spaced `gapMs` apart (a cache that refreshed on every call shows here). */
class GetToken implements Cmd {
  constructor(
    readonly i: number,
    readonly n: number,
    readonly gapMs: number,
  ) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    for (let k = 0; k < this.n; k++) {
      call(r, this.i, (r.caches[this.i % r.caches.length] as TokenCache).getAccessToken());
      if (this.gapMs > 0) {
        r.counts.timeMs += this.gapMs;
        await r.world.advance(this.gapMs);
      }
    }
    await observe(r);
  }
  toString() {
    return `get(${this.i}×${this.n}/${this.gapMs})`;
  }
}

class SlowStore implements Cmd {
  constructor(readonly ms: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.world.setLatency?.(this.ms);
    await observe(r);
  }
  toString() {
    return `storeLatency(${this.ms})`;
  }
}

class LoseNotices implements Cmd {
  constructor(readonly i: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    const store = r.stores[this.i % r.stores.length] as TokenStore;
    if (r.world.deafen === undefined) return;
    r.world.deafen(store);
    r.deaf.add(store);
    await observe(r);
  }
  toString() {
    return `loseNotices(${this.i})`;
  }
}

class ForceRefresh implements Cmd {
  constructor(readonly i: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.counts.force++;
    call(r, this.i, (r.caches[this.i % r.caches.length] as TokenCache).forceRefresh());
    await observe(r);
  }
  toString() {
    return `force(${this.i})`;
  }
}

class Invalidate implements Cmd {
  constructor(readonly i: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.counts.invalidate++;
    (r.caches[this.i % r.caches.length] as TokenCache).invalidate();
    await observe(r);
  }
  toString() {
    return `invalidate(${this.i})`;
  }
}

class Login implements Cmd {
  constructor(readonly i: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.counts.login++;
    // Logins are told apart by their time: two in the same millisecond are a tie the first saved wins.
    r.counts.timeMs += 1;
    await r.world.advance(1);
    const wasDown = r.down;
    const refreshToken = r.issuer.login();
    const grant = r.issuer.latestGrant;
    await through(r, (r.caches[this.i % r.caches.length] as TokenCache).setRefreshToken(refreshToken));
    await observe(r);
    if (!wasDown && !r.down) {
      const stored = await r.world.peek();
      expect(r.issuer.grantOfRefreshToken(stored?.refreshToken)).toBe(grant);
      r.effectiveGrant = grant;
    }
  }
  toString() {
    return `login(${this.i})`;
  }
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.counts.timeMs += this.ms;
    await r.world.advance(this.ms);
    await observe(r);
  }
  toString() {
    return `advance(${this.ms})`;
  }
}

class ExpireLock implements Cmd {
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.lockLostOrDown = true;
    await r.world.expireLock();
    await observe(r);
  }
  toString() {
    return 'expireLock';
  }
}

class Outage implements Cmd {
  constructor(readonly down: boolean) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    if (r.world.setDown === undefined || r.down === this.down) return;
    r.counts.outage++;
    if (this.down) r.downSinceMs = r.counts.timeMs;
    else storeBack(r);
    r.down = this.down;
    r.world.setDown(this.down);
    await observe(r);
  }
  toString() {
    return this.down ? 'storeDown' : 'storeUp';
  }
}

class Crash implements Cmd {
  constructor(readonly i: number) {}
  check = ALWAYS;
  async run(_m: object, r: FleetReal) {
    r.counts.crash++;
    if (r.down) r.loginMayBeLost = true;
    const i = this.i % r.caches.length;
    const old = r.caches[i] as TokenCache;
    // Dying between the issuer's answer and the save loses the rotated refresh token: nothing can
    // prevent that (the next refresh meets invalid_grant), so it excuses those two invariants.
    if (old.snapshot().cache_metrics.refreshes_in_flight > 0) r.lockLostOrDown = true;
    await r.world.kill(r.stores[i] as TokenStore);
    void old.close(); // the process is gone: its in-flight request never reaches the issuer
    const store = r.world.connect(`c${i}-${r.counts.crash}`);
    r.stores[i] = store;
    r.caches[i] = newCache(r, store, `c${i}-${r.counts.crash}`);
    await observe(r);
  }
  toString() {
    return `crash(${this.i})`;
  }
}

function newCache(r: FleetReal, store: TokenStore, name: string): TokenCache {
  return new TokenCache({ refresh: r.issuer.refresh, store, clock: r.world.clock, name, ...r.options });
}

/** The command arbitraries, scaled to `stepMs` (the largest single advance). */
export function fleetCommands(
  size: number,
  stepMs: number,
  withOutages: boolean,
  gapMs = 5_000,
): Array<fc.Arbitrary<Cmd>> {
  const idx = fc.integer({ min: 0, max: size - 1 });
  return [
    fc.tuple(idx, fc.integer({ min: 1, max: 5 })).map(([i, n]) => new GetToken(i, n, 0)),
    fc.tuple(idx, fc.integer({ min: 1, max: 5 })).map(([i, n]) => new GetToken(i, n, gapMs)),
    fc.tuple(idx, fc.integer({ min: 1, max: 5 })).map(([i, n]) => new GetToken(i, n, gapMs)),
    fc.integer({ min: 0, max: 3_000 }).map((ms) => new SlowStore(ms)),
    idx.map((i) => new LoseNotices(i)),
    idx.map((i) => new ForceRefresh(i)),
    idx.map((i) => new Invalidate(i)),
    idx.map((i) => new Login(i)),
    fc.integer({ min: 1, max: stepMs }).map((ms) => new Advance(ms)),
    fc.integer({ min: 1, max: stepMs }).map((ms) => new Advance(ms)),
    fc.constant(new ExpireLock()),
    idx.map((i) => new Crash(i)),
    ...(withOutages ? [fc.boolean().map((d) => new Outage(d))] : []),
  ];
}

/** Builds a fleet of `size` caches on `world` with one login done. */
export async function startFleet(
  world: FleetWorld,
  size: number,
  options: Partial<TokenCacheOptions>,
  issuer: GrantIssuer,
): Promise<FleetReal> {
  const r: FleetReal = {
    world,
    issuer,
    caches: [],
    stores: [],
    options,
    callers: [],
    effectiveGrant: 0,
    lastVersion: 0,
    deaf: new Set(),
    downSinceMs: 0,
    down: false,
    lockLostOrDown: false,
    loginMayBeLost: false,
    counts: { force: 0, invalidate: 0, login: 0, crash: 0, outage: 0, timeMs: 0 },
  };
  for (let i = 0; i < size; i++) {
    const store = world.connect(`c${i}`);
    r.stores.push(store);
    r.caches.push(newCache(r, store, `c${i}`));
  }
  await through(r, (r.caches[0] as TokenCache).setRefreshToken(issuer.login()));
  r.effectiveGrant = 1;
  await through(r, Promise.all(r.caches.map((c) => c.load())));
  return r;
}

/**
 * Ends a run: store up, time to settle, then the invariants: every caller settled; no
 * caller got a token of a grant older than the last login before its call; the login's refresh
 * token is in the store and still usable; no refresh token was spent twice unless a lock was
 * lost or the store was down; refreshes stay within a bound per token lifetime.
 */
export async function finishFleet(r: FleetReal, settleMs: number, lifetimeMs: number): Promise<void> {
  if (r.down && r.world.setDown) {
    storeBack(r);
    r.down = false;
    r.world.setDown(false);
  }
  await r.world.advance(settleMs);
  await settle();
  for (const c of r.callers) expect(c.settled).toBe(true);
  for (const c of r.callers) {
    if (c.token === undefined) continue;
    expect(r.issuer.grantOf(c.token) ?? 0).toBeGreaterThanOrEqual(c.minGrant);
  }
  const stored = await r.world.peek();
  // The last login is in the store (a login made while the store was down is saved once it is back).
  if (!r.loginMayBeLost)
    expect(r.issuer.grantOfRefreshToken(stored?.refreshToken)).toBe(r.issuer.latestGrant);
  if (!r.lockLostOrDown) {
    expect(r.issuer.spentTwice).toBe(0);
    expect(r.issuer.usable(stored?.refreshToken)).toBe(true);
  }
  // The fleet shares one token: about one refresh per token lifetime, plus one per event that
  // asks for a new token. A cache refreshing on every call (spaced calls) exceeds this.
  const lifetimes = Math.ceil((r.counts.timeMs + settleMs) / (lifetimeMs * 0.8)) + 1;
  const events = r.counts.force + r.counts.invalidate + r.counts.login + r.counts.crash;
  const troubled = r.lockLostOrDown ? r.caches.length : 1;
  const bound = troubled * (lifetimes + events + 2) + 2 * r.counts.outage;
  expect(r.issuer.calls).toBeLessThanOrEqual(bound);
  await through(r, Promise.all(r.caches.map((c) => c.close())));
}
