// Mapping a transport exception to the closed `reason` set. Expected failures of the network
// arrive here as exceptions from the transport (node:http codes, undici's where a client uses it);
// anything unrecognised is `internal` (a bug to look at).
import type { FailureReason } from './result.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function classifyTransportError(err: unknown, deadlinePassed: boolean): { reason: FailureReason; detail: string } {
  if (deadlinePassed) return { reason: 'timeout', detail: 'check timeout reached' };
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const e = current as { code?: string; name?: string; message?: string; cause?: unknown };
    if (e.name === 'TimeoutError' || (e.code && TIMEOUT_CODES.has(e.code))) return { reason: 'timeout', detail: `${e.code ?? e.name}: ${e.message ?? ''}`.trim() };
    if (e.code && CONNECT_CODES.has(e.code)) return { reason: 'connect', detail: `${e.code}: ${e.message ?? ''}`.trim() };
    current = e.cause;
  }
  const e = err as { name?: string; message?: string };
  return { reason: 'internal', detail: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
}
