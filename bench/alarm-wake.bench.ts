/**
 * The wake-up matrix of issue 12: for each device behaviour, does an alarm make sound, on which
 * device, at what volume, how many seconds after the alarm time, and what does `last_result`
 * say. The real scheduler, Spotify client and token cache talk to the emulator over loopback;
 * time is virtual (ManualClock, 500 ms steps), so the outage and restart scenarios take seconds.
 * Prints one `## ` section for BENCHMARKS.md.
 * Run: npx tsx bench/alarm-wake.bench.ts   (or npm run bench -- --only alarm)
 */
import { IDLE_DEMO_SPEAKER } from '../src/emulator/device-behaviour.js';
import { MIN, RecordingFallback, type Stack, startStack } from '../test/alarm/harness.js';
import { table } from './support.js';

interface Row {
  scenario: string;
  played: string;
  device: string;
  volume: string;
  toSound: string;
  result: string;
}

const ALARM_AT = 60_000; // 07:01, one minute after the ManualClock's start.
/** The running scenario's fallback sound. */
let fallback: RecordingFallback | undefined;

/** Steps virtual time until `until` (ms after start), noting when sound (music or fallback) first began. */
async function watch(stack: Stack, start: number, until: number): Promise<number | null> {
  let first: number | null = null;
  while (stack.clock.now() - start < until) {
    await stack.run(500, 500);
    const sounding = stack.emu.playback()?.isPlaying === true || (fallback?.ringing.size ?? 0) > 0;
    if (first === null && sounding && stack.clock.now() - start >= ALARM_AT)
      first = stack.clock.now() - start - ALARM_AT;
  }
  return first;
}

async function scenario(
  name: string,
  body: Record<string, unknown>,
  setup: (stack: Stack) => void | Promise<void>,
  during: (stack: Stack, start: number) => Promise<number | null>,
  withFallback = false,
): Promise<Row> {
  let rec: RecordingFallback | undefined;
  const stack = await startStack(
    withFallback ? { fallback: { start: (a, r) => rec!.start(a, r), stop: (a) => rec!.stop(a) } } : {},
  );
  rec = new RecordingFallback(stack.clock);
  fallback = rec;
  try {
    const start = stack.clock.now();
    const uri = await stack.playlist();
    await setup(stack);
    const res = await stack.call('POST', '/api/alarms', {
      time: '07:01',
      days: ['mon'],
      context_uri: uri,
      ...body,
    });
    await stack.player.quiet();
    const id = res.body.id as string;
    const toSound = await during(stack, start);
    await stack.scheduler.idle();
    const v = (await stack.call('GET', `/api/alarms/${id}`)).body;
    const pb = stack.emu.playback();
    const device = pb?.isPlaying ? (stack.emu.devices().find((d) => d.id === pb.deviceId)?.name ?? '?') : '—';
    const lr = v.last_result;
    const volume = !pb?.isPlaying
      ? '—'
      : lr?.volume_controllable === false
        ? `not controllable (own ${stack.emu.deviceVolume(pb.deviceId!)} %)`
        : `${stack.emu.deviceVolume(pb.deviceId!)} % of ${body.volume} %`;
    const sound =
      toSound === null
        ? 'never'
        : `${(toSound / 1000).toFixed(1)} s${pb?.isPlaying ? '' : ' (fallback sound)'}`;
    return {
      scenario: name,
      played: pb?.isPlaying ? 'yes' : rec.ringing.size > 0 ? 'no — fallback sound rings' : 'no',
      device,
      volume,
      toSound: sound,
      result: lr ? `${lr.status}${lr.reason ? `: ${lr.reason}` : ''}` : '—',
    };
  } finally {
    await stack.close();
  }
}

const common = { volume: 50, fade_in_seconds: 30 };
const until = (ms: number) => (stack: Stack, start: number) => watch(stack, start, ms);

const rows: Row[] = [];
rows.push(
  await scenario(
    'plain (Kitchen Speaker)',
    { ...common, device: 'Kitchen Speaker' },
    () => {},
    until(2 * MIN),
  ),
);
rows.push(
  await scenario(
    'volume-locked (Living Room TV)',
    { ...common, device: 'Living Room TV' },
    () => {},
    until(2 * MIN),
  ),
);
rows.push(
  await scenario(
    'lagging volume (4 s lag, 10 % steps)',
    { ...common, device: 'Kitchen Speaker' },
    (s) => s.emu.configureDevice('Kitchen Speaker', { volumeLagMs: 4_000, volumeStepPercent: 10 }),
    until(2 * MIN),
  ),
);
rows.push(
  await scenario(
    'idle speaker (absent from the device list)',
    { ...common, device: IDLE_DEMO_SPEAKER.name },
    (s) => s.emu.setDeviceIdle(IDLE_DEMO_SPEAKER.id, false),
    async (s, start) => {
      await s.player.quiet();
      s.emu.setDeviceIdle(IDLE_DEMO_SPEAKER.id, true);
      return watch(s, start, 2 * MIN);
    },
  ),
);
rows.push(
  await scenario(
    '2-minute outage at the alarm time',
    { ...common, device: 'Kitchen Speaker' },
    () => {},
    async (s, start) => {
      await watch(s, start, ALARM_AT - 1_000);
      s.emu.startOutage({ forMs: 2 * MIN });
      return watch(s, start, 4 * MIN);
    },
  ),
);
rows.push(
  await scenario(
    'restart mid-fade (down 25 s)',
    { volume: 50, fade_in_seconds: 60, device: 'Kitchen Speaker' },
    () => {},
    async (s, start) => {
      const first = await watch(s, start, ALARM_AT + 20_000);
      await s.restart({}, 25_000);
      await watch(s, start, 3 * MIN);
      return first;
    },
  ),
);
rows.push(
  await scenario(
    'Spotify down for good (fallback sound)',
    { ...common, device: 'Kitchen Speaker' },
    () => {},
    async (s, start) => {
      await watch(s, start, ALARM_AT - 1_000);
      s.emu.startOutage({ mode: 'reset' });
      return watch(s, start, 13 * MIN);
    },
    true,
  ),
);

process.stdout.write(
  [
    '## Alarm wake-up: device behaviours',
    '',
    'Each row is one alarm at 07:01 (target volume 50 %, 30 s fade-in unless said otherwise) through the real scheduler, Spotify client and token cache against the emulator over loopback. Time is virtual (ManualClock, 500 ms steps; seconds below are virtual, so they measure the policy: retries, waits, fallback), HTTP is real. Default settings: grace 10 min, device fallback 120 s, fallback sound after 120 s.',
    '',
    table(
      ['Scenario', 'Music played?', 'Device', 'Volume reached', 'Alarm time → sound', 'last_result'],
      rows.map((r) => [r.scenario, r.played, r.device, r.volume, r.toSound, r.result.replaceAll('|', '/')]),
    ),
    '',
  ].join('\n'),
);
