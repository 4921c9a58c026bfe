// The config folder's public surface.
export { loadConfigFile, parseConfig } from './load.js';
export { parseListen } from './settings.js';
export { intervalFitsClock, parsePlainCron, type PlainCronFields } from './schedule.js';
export { SANDBOX_URL_PLACEHOLDER } from './steps.js';
export { ID_PATTERN, isConfigId, pointerToPath, childPath } from './paths.js';
export { ConfigError, ConfigErrorCodes, type ConfigErrorCode, type ConfigProblem } from './errors.js';
export { readSmppPassword, secretReader, describeSecretRef, secretUses, missingSecrets, type SecretReader, type SecretUse } from './secrets.js';
export { MAX_CONFIG_BYTES, MAX_CONFIG_TOKENS, MAX_CONFIG_DEPTH } from './limits.js';
export { parseDuration, formatPromDuration } from './duration.js';
export { formatUtcOffset, parseUtcOffset } from './utc-offset.js';
export { tiersByHardDownRuns } from './hard-down.js';
export { CONFIG_DEFAULTS } from './defaults.js';
export { maintenanceActive, parseWindowTime, WEEKDAYS } from './maintenance.js';
export * from './types.js';
export { readChannelCas } from './transport-http.js';
