import { CommandFallbackSound, resolveFallbackCommand } from '../alarm/fallback-sound.js';
import { type AlarmReadinessReport, Preflight } from '../alarm/preflight.js';
import type { Readiness } from '../alarm/readiness.js';
import { AlarmScheduler } from '../alarm/scheduler.js';
import { SleepTimer } from '../alarm/sleep-timer.js';
import type { RoutePlugin } from './deps.js';
import { alarmRoutes } from './routes/alarms.js';
import { sleepRoutes } from './routes/sleep.js';
import type { ServerParts } from './start.js';

/** The alarm scheduler and sleep timer, loaded but not yet running. */
export interface PreparedAlarms {
  plugins: RoutePlugin[];
  scheduler: AlarmScheduler;
  sleepTimer: SleepTimer;
  preflight: Preflight;
  fallback: CommandFallbackSound;
  /** Every enabled alarm's preflight readiness (for /readyz and /metrics). */
  readiness: () => AlarmReadinessReport;
  /** Starts scheduling (call once the HTTP server listens). */
  start(): Promise<void>;
  /** Stops both; safe whether or not `start` ran. */
  stop(): Promise<void>;
}

/**
 * Builds the alarm scheduler and the sleep timer on the app's Spotify client (warming the token
 * before each alarm) and reads their files — a file it cannot read safely throws here, before
 * the server takes its port. Nothing fires until `start()`.
 */
export async function prepareAlarms(parts: ServerParts): Promise<PreparedAlarms> {
  const { config, clock, logger, spotify, tokenCache } = parts;
  const sleepTimer = new SleepTimer({
    stateDir: config.stateDir,
    player: spotify,
    clock,
    logger: logger.child({ module: 'sleep-timer' }),
  });
  const fallback = new CommandFallbackSound({
    command: resolveFallbackCommand(config.fallback.command),
    stateDir: config.stateDir,
    clock,
    logger: logger.child({ module: 'fallback-sound' }),
  });
  const scheduler: AlarmScheduler = new AlarmScheduler({
    stateDir: config.stateDir,
    player: spotify,
    defaultTimezone: config.timezone,
    snoozeMinutes: config.snoozeMinutes,
    graceMs: config.alarmGraceMs,
    deviceFallbackMs: config.deviceFallbackMs,
    // An alarm starting ends the sleep timer, so its fade-out never fades the alarm.
    sleepTimer,
    clock,
    logger: logger.child({ module: 'alarms' }),
    warmToken: () => tokenCache.getAccessToken(),
    // The fallback chime when Spotify does not start, and each alarm's preflight in its view.
    fallback,
    fallbackAfterMs: config.fallback.afterMs,
    readinessOf: (id): Readiness | null => preflight.readinessOf(id),
  });
  const preflight: Preflight = new Preflight({
    alarms: () => scheduler.list(),
    tokens: tokenCache,
    music: spotify,
    deviceKnown: async (device) => {
      // Remembered speakers count (idle ones drop out of the live list); else ask Spotify.
      if (scheduler.devices.find(device)) return true;
      const wanted = device.toLowerCase();
      return (await spotify.getDevices()).some((d) => d.id === device || d.name.toLowerCase() === wanted);
    },
    clock,
    logger: logger.child({ module: 'preflight' }),
  });
  // Created, enabled or edited alarms are checked at once.
  scheduler.on('changed', () => preflight.kick());
  // Both files are read now so that an unreadable one stops the start before anything listens.
  await scheduler.load();
  await sleepTimer.load();
  let started = false;
  return {
    plugins: [
      { plugin: alarmRoutes, options: { scheduler } },
      { plugin: sleepRoutes, options: { sleepTimer } },
    ],
    scheduler,
    sleepTimer,
    preflight,
    fallback,
    readiness: () => preflight.report(),
    async start() {
      started = true;
      await scheduler.start();
      await sleepTimer.start();
      preflight.start();
    },
    async stop() {
      if (!started) return;
      await Promise.allSettled([preflight.close(), scheduler.close(), sleepTimer.close(), fallback.close()]);
    },
  };
}
