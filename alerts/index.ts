// The alerts folder's public surface: pure generators, and the file list `channel-health generate` writes.
export { generateRules, alertFiles, OUTPUT, header, toYaml, type GeneratedFile, type GenerateContext } from './files.js';
export { generateRecordingRules, backendTransactions, RATIO_WINDOWS_MS, record } from './recording-rules.js';
export { generateAlertRules, ALERT, BURN_RATE_PAIRS, burnFactor } from './alert-rules.js';
export { generateAlertmanagerConfig, alertmanagerPlaceholders, DISCARD_RECEIVER, type AlertmanagerConfig } from './alertmanager.js';
export { thresholdGroups, pairSelectors, type ThresholdGroup } from './check-groups.js';
export { binomialUpperTails, failureThreshold, upperNormalQuantile, type FailureThreshold } from './binomial.js';
export { AlertsError, AlertsErrorCodes, type AlertsErrorCode } from './errors.js';
export type { AlertingRule, RecordingRule, RuleGroup, GeneratedRules } from './rule-types.js';
