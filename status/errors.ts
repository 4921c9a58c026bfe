// Errors of the status page and the demo, declared once (contract/error-codes.ts) with the HTTP
// status or exit code; docs/errors.md is generated from these declarations.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const StatusErrors = declareErrors(
  { title: 'Status page and demo', file: 'status/errors.ts', intro: 'See [status.md](status.md).' },
  {
    CH_STATUS_STREAMS_FULL: { status: 503, description: '64 status streams (`GET /api/v1/status/stream`) are open already; the page\'s EventSource retries on its own.' },
    CH_DEMO_MISSING_BINARY: {
      exit: 2,
      description:
        '`channel-health demo` needs a program that is not on the PATH; the message names it and its Debian package (`prometheus-alertmanager not found on the PATH: apt-get install prometheus-alertmanager`). Nothing was started.',
    },
  },
);

export type StatusErrorCode = CodeOf<typeof StatusErrors>;

export class StatusError extends errorClass(StatusErrors, 'StatusError') {}
