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
  const scheduler = new AlarmScheduler({
    stateDir: config.stateDir,
    player: spotify,
    defaultTimezone: config.timezone,
    snoozeMinutes: config.snoozeMinutes,
    graceMs: config.alarmGraceMs,
    clock,
    logger: logger.child({ module: 'alarms' }),
    warmToken: () => tokenCache.getAccessToken(),
  });
  const sleepTimer = new SleepTimer({
    stateDir: config.stateDir,
    player: spotify,
    clock,
    logger: logger.child({ module: 'sleep-timer' }),
  });
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
    async start() {
      started = true;
      await scheduler.start();
      await sleepTimer.start();
    },
    async stop() {
      if (!started) return;
      await Promise.allSettled([scheduler.close(), sleepTimer.close()]);
    },
  };
}
