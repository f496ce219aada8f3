/**
 * How late does an alarm fire on the real clock? Schedules a one-off alarm for the next whole
 * minute (UTC) on the system clock with a recording player, and prints the delay between the
 * alarm time and the first player call (`getDevices`) and the `play` call. Takes up to a minute.
 * Run: npx tsx bench/alarm-latency.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakePlayer } from '../src/alarm/fake-player.js';
import { AlarmScheduler } from '../src/alarm/scheduler.js';

const dir = await mkdtemp(join(tmpdir(), 'spotipi-alarm-bench-'));
const player = new FakePlayer([{ id: 'd1', name: 'Bench', is_active: true, volume_percent: 10 }]);
const scheduler = new AlarmScheduler({ stateDir: dir, player, defaultTimezone: 'UTC' });
await scheduler.start();
const now = new Date();
const target = Date.UTC(
  now.getUTCFullYear(),
  now.getUTCMonth(),
  now.getUTCDate(),
  now.getUTCHours(),
  now.getUTCMinutes() + 1,
);
const hhmm = new Date(target).toISOString().slice(11, 16);
await scheduler.create({ time: hhmm, context_uri: 'liked' });
console.log(`alarm at ${hhmm} UTC, waiting ${Math.round((target - Date.now()) / 1000)} s...`);
while (player.callsOf('play').length === 0) await new Promise((r) => setTimeout(r, 50));
const first = player.calls[0]!.at - target;
const play = player.callsOf('play')[0]!.at - target;
console.log(`first player call ${first} ms after the alarm time; play ${play} ms after`);
await scheduler.close();
await rm(dir, { recursive: true, force: true });
