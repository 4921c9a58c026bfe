// Every error the report raises, with a stable code and the exit code the CLI gives it.
// docs/errors.md lists them; a unit test keeps both in step.

export const ReportErrorCodes = {
  CH_REPORT_BAD_PERIOD: 'The --week or --from/--to period is malformed, reversed, shorter than an hour, or not over yet.',
  CH_REPORT_BAD_OPTION: 'A report flag has a bad value (--prometheus, --format, --out, --utc-offset, --timeout).',
  CH_REPORT_PROMETHEUS_UNREACHABLE: 'Prometheus could not be reached at the given URL (refused, unknown host, timed out).',
  CH_REPORT_PROMETHEUS_QUERY: 'Prometheus answered a query with an error, or with something that is not its HTTP API.',
  CH_REPORT_NO_DATA: 'A series the report needs has no samples in the period; the message names the series and the period.',
  CH_REPORT_WRITE: 'An output file could not be written.',
} as const;

export type ReportErrorCode = keyof typeof ReportErrorCodes;

/** Bad input exits 2 (nothing was asked of Prometheus); everything else is a failed run, exit 1. */
const BAD_INPUT: ReadonlySet<ReportErrorCode> = new Set(['CH_REPORT_BAD_PERIOD', 'CH_REPORT_BAD_OPTION']);

export class ReportError extends Error {
  readonly code: ReportErrorCode;

  constructor(code: ReportErrorCode, message: string) {
    super(message);
    this.name = 'ReportError';
    this.code = code;
  }

  get exitCode(): 1 | 2 {
    return BAD_INPUT.has(this.code) ? 2 : 1;
  }
}
