// Mapping a network exception to the closed `reason` set, for any transport that opens sockets.
// A transport adds the codes of its own client (TLS, undici, an SMPP library) through `extra`;
// anything unrecognised is `internal` (a bug to look at).
import type { FailureReason } from './result.js';

/** Socket-level failures every transport shares: the far end could not be reached or hung up. */
const CONNECT_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
const TIMEOUT_CODES = ['ETIMEDOUT'];
/**
 * The far end was reached but could not be trusted: OpenSSL's verification codes as Node names
 * them (untrusted, expired, not yet valid, revoked, hostname mismatch), plus any handshake
 * failure (`ERR_SSL_*`, `ERR_TLS_*`: a protocol or cipher mismatch, plain text where TLS was due).
 */
const TLS_CODES = [
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
];
const TLS_PREFIXES = ['ERR_SSL_', 'ERR_TLS_'];
const isTlsCode = (code: string) => TLS_CODES.includes(code) || TLS_PREFIXES.some((p) => code.startsWith(p));

export interface ExtraErrorCodes {
  connect?: readonly string[];
  timeout?: readonly string[];
}

export function classifyNetworkError(err: unknown, deadlinePassed: boolean, extra: ExtraErrorCodes = {}): { reason: FailureReason; detail: string } {
  if (deadlinePassed) return { reason: 'timeout', detail: 'check timeout reached' };
  const connect = new Set([...CONNECT_CODES, ...(extra.connect ?? [])]);
  const timeout = new Set([...TIMEOUT_CODES, ...(extra.timeout ?? [])]);
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const e = current as { code?: string; name?: string; message?: string; cause?: unknown };
    if (e.name === 'TimeoutError' || (e.code && timeout.has(e.code))) return { reason: 'timeout', detail: `${e.code ?? e.name}: ${e.message ?? ''}`.trim() };
    if (e.code && connect.has(e.code)) return { reason: 'connect', detail: `${e.code}: ${e.message ?? ''}`.trim() };
    if (e.code && isTlsCode(e.code)) return { reason: 'tls', detail: `TLS ${e.code}: ${e.message ?? ''}`.trim() };
    current = e.cause;
  }
  const e = err as { name?: string; message?: string };
  return { reason: 'internal', detail: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
}
