export { ConfigError, type ConfigProblem } from './errors.js';
export {
  type Config,
  type ConfigSources,
  DEFAULT_SCOPES,
  type LogLevel,
  loadConfig,
  statePath,
} from './load.js';
export { SETTING_KEYS } from './settings.js';
