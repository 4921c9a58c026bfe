// The answer shape of every channel API, as real channel systems answer: HTTP 200 with a business
// code in the body, "0000" meaning success. Probes judge success by the code, not the HTTP status.

/** Every business code the sandbox answers with; docs/sandbox.md lists the same table. */
export const BUSINESS_CODES = {
  '0000': 'success',
  '4001': 'bad request',
  '4010': 'token missing, invalid or expired',
  '4011': 'wrong number or PIN',
  '4040': 'not found',
  '4090': 'order id already used with a different amount',
  '5001': 'channel system busy',
  '5101': 'billing system (BOSS) unavailable',
  '5201': 'payment gateway unavailable',
  '5301': 'CRM unavailable',
  '5901': 'backend system unavailable',
  '5999': 'sandbox internal error',
} as const;

export type BusinessCode = keyof typeof BUSINESS_CODES;

/** The code a backend fault answers with unless the fault names its own; keyed by backend id. */
const BACKEND_CODES: Readonly<Record<string, BusinessCode>> = Object.freeze({ billing: '5101', payment: '5201', crm: '5301' });

export function backendFailureCode(backend: string): BusinessCode {
  // Backends are configurable; one the sandbox has no code for still fails recognisably.
  return Object.hasOwn(BACKEND_CODES, backend) ? (BACKEND_CODES[backend] as BusinessCode) : '5901';
}

export interface Envelope<T = unknown> {
  code: string;
  message: string;
  data: T | null;
}

export function success<T>(data: T): Envelope<T> {
  return { code: '0000', message: BUSINESS_CODES['0000'], data };
}

/** A business failure; `detail` says what exactly, after the code's general meaning. */
export function failure(code: string, detail?: string): Envelope<never> {
  const general = (BUSINESS_CODES as Record<string, string>)[code] ?? 'failure';
  return { code, message: detail ? `${general}: ${detail}` : general, data: null };
}
