// Errors the collector answers with, declared once (contract/error-codes.ts): a stable code, the
// HTTP status, and what it means; every answer is `{error: {code, message}}` with the message
// naming where and why. CH_CHECK_NOT_FOUND and CH_CHECK_BUSY are the scheduler's (synthetic/errors.ts).
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const CollectorErrorCodes = declareErrors(
  {
    title: 'Collector API',
    file: 'collector/errors.ts',
    intro:
      'Every refusal of the collector API (`/api/v1/...`, ingest included) is `{ "error": { "code", "message" } }` with the status shown, also for what Node\'s HTTP parser refuses before routing. Ingest refusals (`CH_INGEST_*`, `CH_UNAUTHORIZED`) are counted in the ingest refusals counter by code (docs/metrics.md).',
  },
  {
    CH_REQUEST_INVALID: {
      status: 400,
      description: 'The request breaks its schema; the message names the field (`querystring/limit must be >= 1`). Unknown fields are refused, not dropped. Also a body that is not valid JSON.',
    },
    CH_UNAUTHORIZED: {
      status: 401,
      description:
        'A bearer token is required and was missing or wrong: `ingest.token` for ingest; `service.adminToken` (when set) for the admin routes (running a check, changing sandbox faults, resolving a journal entry) and for any change sent to a path that names no route. Checked after routing, before the request is validated.',
    },
    CH_REPORT_NOT_FOUND: {
      status: 404,
      description:
        '`GET /reports/<name>`: no report file of that name in the report folder. Only the names `GET /reports` lists are served; anything else (another file, a path, a temporary file) is this 404.',
    },
    CH_ROUTE_NOT_FOUND: { status: 404, description: 'No endpoint at that method and path (`GET /api/v1/nope: no such endpoint`).' },
    CH_REQUEST_TOO_LARGE: { status: 413, description: 'A request body is larger than the endpoint takes; it is not read to the end.' },
    CH_REQUEST_MEDIA_TYPE: { status: 415, description: 'A request body has a content type the endpoint does not take (the API takes `application/json`).' },
    CH_HTTP_MALFORMED: {
      status: 400,
      description: 'Not well-formed HTTP/1.1 (both `Transfer-Encoding` and `Content-Length`, a header line without a colon, …); answered before routing, and the connection is closed.',
    },
    CH_REQUEST_TIMEOUT: { status: 408, description: 'The request did not arrive in time (headers or body too slow); the connection is closed.' },
    CH_URL_TOO_LONG: { status: 414, description: 'The URL is longer than 8 KiB; it is not routed.' },
    CH_HEADERS_TOO_LARGE: { status: 431, description: "The headers (with the request line) are over Node's 16 KiB limit; answered before routing, and the connection is closed." },
    CH_INGEST_MALFORMED: {
      status: 400,
      description:
        'An ingest body is not valid JSON (or NDJSON), or a result or event breaks its schema or contradicts itself: `results[3].steps[0].durationMs: must be >= 0`, `line 4.ok: must be boolean`, `results[0].reason: only a failed result (ok: false) has a reason`. The whole batch is refused; nothing is recorded.',
    },
    CH_INGEST_BATCH_TOO_LARGE: { status: 400, description: 'More results or events in one request than `ingest.maxBatch` (named in the message). Agents halve their batch and retry.' },
    CH_INGEST_TOO_LARGE: { status: 413, description: 'The body is larger than `ingest.maxBodyBytes` (named in the message); it is not read to the end.' },
    CH_INGEST_MEDIA_TYPE: {
      status: 415,
      description:
        'A content type the endpoint does not take: results `application/json`; events `application/json` or `application/x-ndjson`; or any `content-encoding` but `identity` (bodies are not decompressed). Nothing is read or recorded.',
    },
    CH_INGEST_UNKNOWN_LABEL: {
      status: 422,
      description: 'A result or event names a channel, transaction, tier or location the config does not know. Nothing is recorded and no series is created.',
    },
    CH_INGEST_OUT_OF_WINDOW: {
      status: 422,
      description:
        "A result's `startedAt` or an event's `at` is older than `ingest.dedupeWindow` (it could no longer be told from a duplicate) or more than 5 minutes ahead of the collector's clock. The batch is refused whole; the answer lists each item's outcome.",
    },
    CH_INGEST_UNAVAILABLE: {
      status: 503,
      description: 'The collector could not read or write its durable state (disk full, read-only, closed). Nothing was recorded; agents retry with backoff.',
    },
    CH_SCRAPE_BUSY: {
      status: 503,
      description:
        '`GET /metrics`: more scrapes at once than the collector serves and queues (8 answered, 32 waiting, at most 5 s each; collector/scrape-gate.ts). Sent with `Retry-After`; the probes are not slowed. One Prometheus, or an HA pair, never meets it; many scrapers or a load test do (docs/scraping.md).',
    },
    CH_RUNNER_UNAVAILABLE: { status: 503, description: 'This process runs no probes (collector mode) or is stopping.' },
    CH_INTERNAL: { status: 500, description: 'A bug: the request failed in an unexpected way. The log has the stack; please report it.' },
  },
);

export type CollectorErrorCode = CodeOf<typeof CollectorErrorCodes>;

export class CollectorError extends errorClass(CollectorErrorCodes, 'CollectorError') {}
