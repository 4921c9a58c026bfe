// Mapping a network exception to the closed `reason` set, for any transport that opens sockets.
// A transport adds the codes of its own client (TLS, undici, an SMPP library) through `extra`;
// anything unrecognised is `internal` (a bug to look at).
import type { FailureReason } from './result.js';

/** Socket-level failures every transport shares: the far end could not be reached or hung up. */
const CONNECT_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
const TIMEOUT_CODES = ['ETIMEDOUT'];

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
    current = e.cause;
  }
  const e = err as { name?: string; message?: string };
  return { reason: 'internal', detail: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
}
