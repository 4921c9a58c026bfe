// Every error the alerts folder raises, declared once (contract/error-codes.ts); docs/errors.md is
// generated from these declarations.
import { ChannelHealthError, declareErrors, type CodeOf } from '../contract/error-codes.js';

export const AlertsErrorCodes = declareErrors(
  {
    title: 'Alert generation',
    file: 'alerts/errors.ts',
    intro: '`channel-health generate` runs every generator before it writes a file, so a refused config changes nothing on disk. `channel-health silence` talks to Alertmanager.',
  },
  {
    CH_ALERTS_UNSUPPORTED_SECRET: {
      exit: 2,
      description:
        'A receiver gives its webhook URL as `{ file: PATH }`. Alertmanager 0.25 has no `url_file`, so the URL cannot stay out of the generated file that way: give it as `{ env: NAME }` (the file gets a `${NAME}` placeholder filled when deploying) or as a plain URL with the secret in `token`. Names the receiver (`receivers.oncall.url`).',
    },
    CH_ALERTS_STALE: { exit: 1, description: '`generate --check` found generated files that differ from a fresh generation (listed one a line). Run `channel-health generate` and commit.' },
    CH_ALERTS_WRITE: { exit: 1, description: 'A generated file could not be written (permissions, disk); files before it were written, none after.' },
    CH_ALERTS_SILENCE_FAILED: {
      exit: 1,
      description:
        '`channel-health silence` could not create, list or expire a silence: Alertmanager did not answer within 10 s or answered with an error (its status and message are printed with the URL). Nothing was changed unless Alertmanager says so.',
    },
  },
);

export type AlertsErrorCode = CodeOf<typeof AlertsErrorCodes>;

export class AlertsError extends ChannelHealthError {
  declare readonly code: AlertsErrorCode;
  /** Where in the config (or which file) the problem is, e.g. `receivers.oncall.url`. */
  readonly where: string;

  constructor(code: AlertsErrorCode, where: string, message: string) {
    super(AlertsErrorCodes, code, `${code}: ${where}: ${message}`);
    this.name = 'AlertsError';
    this.where = where;
  }
}
