// Errors raised by synthetic/, declared once (contract/error-codes.ts). Expected probe failures are
// results, not errors; these are for callers asking for something that cannot be done. The
// collector answers CH_CHECK_NOT_FOUND and CH_CHECK_BUSY with the statuses declared here.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const SyntheticErrorCodes = declareErrors(
  {
    title: 'Probes',
    file: 'synthetic/errors.ts',
    intro:
      'Expected probe failures are *results* with a `reason` (`timeout`, `connect`, `tls`, `http_status`, `assertion`, `business_error`, `internal`), never errors. These codes are for requests that cannot be carried out; the collector API answers the first two as shown.',
  },
  {
    CH_CHECK_NOT_FOUND: { status: 404, description: 'No check with that id is configured.' },
    CH_CHECK_BUSY: { status: 409, description: 'The check is already running; a check never overlaps its own previous run.' },
    CH_SCHEDULER_STOPPED: { description: 'The scheduler is stopping (or not started yet) and takes no new runs; the collector API answers it as `CH_RUNNER_UNAVAILABLE`.' },
  },
);

export type SyntheticErrorCode = CodeOf<typeof SyntheticErrorCodes>;

export class SyntheticError extends errorClass(SyntheticErrorCodes, 'SyntheticError') {}
