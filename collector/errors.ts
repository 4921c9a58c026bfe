// Errors the collector answers with: a stable code, an HTTP status, a message naming where and why.
export const CollectorErrors = {
  CH_REQUEST_INVALID: { status: 400, description: 'The request (body, query or path) breaks its schema; the message names the field.' },
  CH_UNAUTHORIZED: { status: 401, description: 'A bearer token is required and was missing or wrong.' },
  CH_CHECK_NOT_FOUND: { status: 404, description: 'No check with that id is configured.' },
  CH_REPORT_NOT_FOUND: { status: 404, description: 'No report file of that name in the report folder (GET /reports lists them).' },
  CH_CHECK_BUSY: { status: 409, description: 'The check is running; it never overlaps its own previous run.' },
  CH_INGEST_MALFORMED: { status: 400, description: 'An ingest body is not valid JSON (or NDJSON) or an item breaks its schema; the message names the item and field. Nothing is recorded.' },
  CH_INGEST_BATCH_TOO_LARGE: { status: 400, description: 'An ingest batch has more items than ingest.maxBatch; nothing is recorded.' },
  CH_INGEST_TOO_LARGE: { status: 413, description: 'An ingest body is larger than ingest.maxBodyBytes; it is not read to the end and nothing is recorded.' },
  CH_INGEST_MEDIA_TYPE: { status: 415, description: 'An ingest body has a content type the endpoint does not take (application/json; events also application/x-ndjson), or a content-encoding (gzip, anything but identity); nothing is read or recorded.' },
  CH_INGEST_UNKNOWN_LABEL: { status: 422, description: 'A result or event names a channel, transaction, tier or location the config does not know; no series is created.' },
  CH_INGEST_OUT_OF_WINDOW: { status: 422, description: 'A result or event is older than ingest.dedupeWindow (it could no longer be told from a duplicate) or too far in the future; nothing of the batch is recorded.' },
  CH_INGEST_UNAVAILABLE: { status: 503, description: 'The collector could not write its durable state (disk full, read-only); nothing was recorded, retry later.' },
  CH_ROUTE_NOT_FOUND: { status: 404, description: 'No endpoint at that method and path.' },
  CH_REQUEST_TOO_LARGE: { status: 413, description: 'A request body is larger than the endpoint takes; it is not read to the end.' },
  CH_REQUEST_MEDIA_TYPE: { status: 415, description: 'A request body has a content type the endpoint does not take (the API takes application/json).' },
  CH_HTTP_MALFORMED: { status: 400, description: 'The request is not well-formed HTTP/1.1 (e.g. both Transfer-Encoding and Content-Length, a bad header line); answered before routing, and the connection is closed.' },
  CH_REQUEST_TIMEOUT: { status: 408, description: 'The request did not arrive in time (headers or body too slow); the connection is closed.' },
  CH_URL_TOO_LONG: { status: 414, description: 'The URL is longer than 8 KiB; it is not routed.' },
  CH_HEADERS_TOO_LARGE: { status: 431, description: 'The headers (with the request line) are larger than Node\'s 16 KiB limit; answered before routing, and the connection is closed.' },
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
