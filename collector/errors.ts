// Errors the collector answers with: a stable code, an HTTP status, a message naming where and why.
export const CollectorErrors = {
  CH_REQUEST_INVALID: { status: 400, description: 'The request (body, query or path) breaks its schema; the message names the field.' },
  CH_UNAUTHORIZED: { status: 401, description: 'A bearer token is required and was missing or wrong.' },
  CH_CHECK_NOT_FOUND: { status: 404, description: 'No check with that id is configured.' },
  CH_CHECK_BUSY: { status: 409, description: 'The check is running; it never overlaps its own previous run.' },
  CH_INGEST_UNKNOWN_LABEL: { status: 422, description: 'A result or event names a channel, transaction, tier or location the config does not know; no series is created.' },
  CH_RUNNER_UNAVAILABLE: { status: 503, description: 'This process runs no probes (collector mode) or is stopping.' },
} as const;

export type CollectorErrorCode = keyof typeof CollectorErrors;

export class CollectorError extends Error {
  readonly code: CollectorErrorCode;
  readonly statusCode: number;
  constructor(code: CollectorErrorCode, message: string) {
    super(message);
    this.name = 'CollectorError';
    this.code = code;
    this.statusCode = CollectorErrors[code].status;
  }
}
