/** Alarms, the scheduler, snooze and the sleep timer. Knows nothing about HTTP frameworks. */
export { AlarmError, ConflictError, describeError, NotFoundError, ValidationError } from './errors.js';
export {
  IMPORTED_ALARM_ID,
  type ImportReport,
  importOriginalConfig,
  mapOriginalSettings,
} from './import-original.js';
export {
  type AlarmInput,
  type AlarmPatch,
  type AlarmSpec,
  DAYS,
  type Day,
  isValidTimeZone,
  type LastResult,
  LIKED_SONGS,
  type SleepInput,
} from './model.js';
export type { AlarmPlayer, PlayerDevice, PlayerState, PlayRequest } from './player.js';
export { formatInZone, nextFireTime } from './schedule.js';
export {
  ALARMS_FILE,
  type AlarmEvent,
  AlarmScheduler,
  type AlarmSchedulerOptions,
  type AlarmView,
  type NextAlarm,
  type RingState,
} from './scheduler.js';
export {
  DEFAULT_SLEEP_DEFAULTS,
  SLEEP_FILE,
  type SleepDefaults,
  type SleepStatus,
  SleepTimer,
  type SleepTimerOptions,
} from './sleep-timer.js';
