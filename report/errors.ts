// Every error the report raises, declared once (contract/error-codes.ts) with the exit code the
// CLI gives it: bad input exits 2 (nothing was asked of Prometheus), a failed run 1.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const ReportErrorCodes = declareErrors(
  {
    title: 'Weekly report',
    file: 'report/errors.ts',
    intro:
      '`channel-health report` prints `channel-health report: CODE: message`. Flags are checked before Prometheus is asked anything, so bad input writes no file. See [report.md](report.md).',
  },
  {
    CH_REPORT_BAD_PERIOD: {
      exit: 2,
      description:
        '`--week` or `--from`/`--to` is malformed (`--week: "2026-47" is not an ISO week like 2026-W47`), reversed (`--from … is not before --to …`), shorter than a minute, longer than 31 days, or not over yet.',
    },
    CH_REPORT_BAD_OPTION: {
      exit: 2,
      description:
        'Another flag has a bad value: `--prometheus` missing, not an http(s) URL or carrying credentials; `--format` not a list of html, md, json; `--utc-offset` not like `+08:00`; `--timeout` not a duration.',
    },
    CH_REPORT_PROMETHEUS_UNREACHABLE: { exit: 1, description: 'Prometheus did not answer at the URL given (`Prometheus at http://… is unreachable: ECONNREFUSED`, or `no answer within 30000 ms`).' },
    CH_REPORT_PROMETHEUS_QUERY: { exit: 1, description: 'Prometheus rejected a query (its own error text follows), or the URL answered with something that is not the Prometheus HTTP API.' },
    CH_REPORT_NO_DATA: {
      exit: 1,
      description:
        'Prometheus has no samples of the probe-runs or real-transactions counter (docs/metrics.md) in the period: it does not scrape channel-health, or the period is wrong.',
    },
    CH_REPORT_WRITE: { exit: 1, description: 'A report file could not be written to `--out`.' },
  },
);

export type ReportErrorCode = CodeOf<typeof ReportErrorCodes>;

export class ReportError extends errorClass(ReportErrorCodes, 'ReportError') {}
