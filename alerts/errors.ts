// Every error the alerts folder raises, with a stable code. docs/errors.md lists them; a test keeps both in step.

export const AlertsErrorCodes = {
  CH_ALERTS_UNSUPPORTED_SECRET: 'A receiver names its webhook URL by a secret file; Alertmanager 0.25 cannot read a webhook URL from a file (give the URL by { env: NAME } or as a plain URL with the secret in token).',
  CH_ALERTS_STALE: '`channel-health generate --check` found generated files that differ from a fresh generation; run `channel-health generate` and commit the result.',
  CH_ALERTS_WRITE: 'A generated file could not be written; nothing after the first failure was written.',
  CH_ALERTS_SILENCE_FAILED: '`channel-health silence` could not create, list or expire a silence: Alertmanager did not answer in time or answered with an error.',
} as const;

export type AlertsErrorCode = keyof typeof AlertsErrorCodes;

export class AlertsError extends Error {
  readonly code: AlertsErrorCode;
  /** Where in the config (or which file) the problem is, e.g. `receivers.oncall.url`. */
  readonly where: string;

  constructor(code: AlertsErrorCode, where: string, message: string) {
    super(`${code}: ${where}: ${message}`);
    this.name = 'AlertsError';
    this.code = code;
    this.where = where;
  }
}
