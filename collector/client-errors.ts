// Requests Node's HTTP parser refuses before Fastify sees them (malformed framing such as both
// Transfer-Encoding and Content-Length, headers or a URL over the size limit, a request too slow
// to arrive), and URLs too long to route. They are answered in the documented error shape
// ({error: {code, message}}) instead of Node's or Fastify's own, and the connection is closed.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { CollectorErrorCodes, type CollectorErrorCode } from './errors.js';

/** A URL longer than this is refused with 414 before routing; Node's header limit (16 KiB) still caps it. */
export const MAX_URL_BYTES = 8192;

interface ParserError extends Error {
  code?: string;
  /** What the parser had received of the request when it gave up (Node sets a Buffer on parse errors). */
  rawPacket?: unknown;
}

/** Which documented error a parser failure is. */
export function clientErrorCode(err: ParserError): CollectorErrorCode {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'CH_REQUEST_TIMEOUT';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line against the header limit; a request line that never ended
    // within it is a URL too long, not a header.
    return requestLineLength(err.rawPacket) > MAX_URL_BYTES ? 'CH_URL_TOO_LONG' : 'CH_HEADERS_TOO_LARGE';
  }
  return 'CH_HTTP_MALFORMED';
}

/** Length of the request line at the start of what the parser received; 0 when it does not start with one. */
function requestLineLength(raw: unknown): number {
  if (!Buffer.isBuffer(raw) || !/^[A-Z]+ /.test(raw.subarray(0, 16).toString('latin1'))) return 0;
  const end = raw.indexOf('\n');
  return end === -1 ? raw.length : end;
}

const MESSAGES: Partial<Record<CollectorErrorCode, string>> = {
  CH_REQUEST_TIMEOUT: 'request: not received in time; the connection is closed',
  CH_URL_TOO_LONG: `url: longer than the server takes (${MAX_URL_BYTES} bytes)`,
  CH_HEADERS_TOO_LARGE: 'headers: larger than the server takes (16 KiB with the request line)',
  CH_HTTP_MALFORMED: 'request: not well-formed HTTP/1.1 (for example both Transfer-Encoding and Content-Length); the connection is closed',
};

/** Fastify's `clientErrorHandler`: answer in the documented shape, then close the socket. */
export function answerClientError(err: ParserError, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = clientErrorCode(err);
  const status = CollectorErrorCodes.codes[code].status ?? 500;
  const body = JSON.stringify({ error: { code, message: MESSAGES[code] ?? 'request: refused' } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
