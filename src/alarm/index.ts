/** Alarms, the scheduler, snooze and the sleep timer. Knows nothing about HTTP frameworks. */
export { ALARMS_FILE_VERSION, AlarmsFileError, decodeAlarmsFile, encodeAlarmsFile } from './alarms-file.js';
export { chimeWav } from './chime.js';
export { DEVICES_FILE, DeviceMemory, type RememberedDevice } from './device-memory.js';
export { AlarmError, ConflictError, describeError, NotFoundError, ValidationError } from './errors.js';
export type { FallbackSound } from './fallback-port.js';
export { CommandFallbackSound, resolveFallbackCommand } from './fallback-sound.js';
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
export { type AlarmReadinessReport, Preflight, type PreflightOptions } from './preflight.js';
export { type Readiness, readinessFrom } from './readiness.js';
export { formatInZone, nextFireTime } from './schedule.js';
export {
  ALARMS_FILE,
  type AlarmEvent,
  AlarmScheduler,
  type AlarmSchedulerOptions,
  type AlarmView,
  type NextAlarm,
  type RingState,
  type SleepTimerHandle,
} from './scheduler.js';
export {
  DEFAULT_SLEEP_DEFAULTS,
  SLEEP_FILE,
  type SleepDefaults,
  type SleepStatus,
  SleepTimer,
  type SleepTimerOptions,
} from './sleep-timer.js';
export { UnreadableStateFileError } from './state-file.js';
