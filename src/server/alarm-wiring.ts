import { AlarmScheduler } from '../alarm/scheduler.js';
import { SleepTimer } from '../alarm/sleep-timer.js';
import type { RoutePlugin } from './deps.js';
import { alarmRoutes } from './routes/alarms.js';
import { sleepRoutes } from './routes/sleep.js';
import type { ServerParts } from './start.js';

/**
 * Starts the alarm scheduler and the sleep timer on the app's Spotify client (warming the
 * token before each alarm) and returns their route plugins plus a function that stops both.
 */
export async function startAlarms(
  parts: ServerParts,
): Promise<{ plugins: RoutePlugin[]; stop: () => Promise<void> }> {
  const { config, clock, logger, spotify, tokenCache } = parts;
  const sleepTimer = new SleepTimer({
    stateDir: config.stateDir,
    player: spotify,
    clock,
    logger: logger.child({ module: 'sleep-timer' }),
  });
  const scheduler = new AlarmScheduler({
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
  });
  await scheduler.start();
  try {
    await sleepTimer.start();
  } catch (err) {
    await scheduler.close();
    throw err;
  }
  return {
    plugins: [
      { plugin: alarmRoutes, options: { scheduler } },
      { plugin: sleepRoutes, options: { sleepTimer } },
    ],
    stop: async () => {
      await Promise.allSettled([scheduler.close(), sleepTimer.close()]);
    },
  };
}
