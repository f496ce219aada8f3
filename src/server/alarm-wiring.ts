import { AlarmScheduler } from '../alarm/scheduler.js';
import { SleepTimer } from '../alarm/sleep-timer.js';
import type { RuntimeSettings } from '../settings/fields.js';
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
  const { config, clock, logger, spotify, tokenCache, settings } = parts;
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
  // Settings-page changes apply to the running scheduler (config holds the locked/env values).
  const applySettings = (s: RuntimeSettings) =>
    scheduler.setDefaults({
      snoozeMinutes: s.snooze_minutes,
      graceMs: s.alarm_grace_minutes * 60_000,
      defaultTimezone: s.timezone,
      volume: s.alarm_volume,
      fadeInSeconds: s.alarm_fade_in_seconds,
    });
  applySettings(settings.current());
  const unsubscribe = settings.onChange(applySettings);
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
      unsubscribe();
      await Promise.allSettled([scheduler.close(), sleepTimer.close()]);
    },
  };
}
