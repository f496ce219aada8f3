import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { SharedMemoryBackend, type SharedMemoryStore } from './stores/shared-memory-store.js';
import { type FleetWorld, finishFleet, fleetCommands, startFleet } from './test-helpers/fleet-model.js';
import { GrantIssuer } from './test-helpers/grant-issuer.js';

const MIN = 60_000;

function memoryWorld(clock: ManualClock): FleetWorld {
  const backend = new SharedMemoryBackend(clock);
  return {
    clock,
    connect: () => backend.connect(),
    kill: async (store) => {
      (store as SharedMemoryStore).dead = true;
    },
    expireLock: async () => backend.expireLock(),
    setDown: (down) => {
      backend.down = down;
    },
    setLatency: (ms) => {
      backend.latencyMs = ms;
    },
    deafen: (store) => {
      (store as SharedMemoryStore).deaf = true;
    },
    peek: async () => {
      const r = backend.peek();
      return r === undefined ? undefined : { version: r.version ?? 0, refreshToken: r.refreshToken };
    },
    advance: (ms) => clock.advance(ms),
  };
}

describe('A fleet of token caches on one shared store, model-based (issue 13)', () => {
  it('keeps the store version monotonic, every login, no earlier grant after a login, no refresh token spent twice while the store is up, about one refresh per token lifetime, and settles every caller', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.commands(fleetCommands(3, 40 * MIN, true), { maxCommands: 50 }),
        async (size, latencyMs, commands) => {
          const clock = new ManualClock();
          const issuer = new GrantIssuer(clock);
          issuer.latencyMs = latencyMs;
          const world = memoryWorld(clock);
          const real = await startFleet(
            world,
            size,
            { random: () => 0.5, lockTtlMs: 20_000, lockWaitMs: 2_000 },
            issuer,
          );
          await fc.asyncModelRun(() => ({ model: {}, real }), commands);
          await finishFleet(real, 10 * MIN, issuer.lifetimeS * 1000);
        },
      ),
      { numRuns: 300 },
    );
  });
});
