// One root logger per process, made by whoever starts it and passed down; parts take children.
// Secrets are redacted by path and phone numbers masked by one formatter, not by call sites.
import pino, { type DestinationStream, type Logger } from 'pino';
import { maskPhoneNumbers } from './mask.js';

export type { Logger };

/** Paths whose values are credentials wherever they appear in a log record. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.token',
  '*.pin',
  '*.password',
  '*.adminToken',
  'token',
  'pin',
  'password',
];

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhoneNumbers(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: maskPhoneNumbers(value.message), code: (value as NodeJS.ErrnoException).code };
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Tests pass an in-memory stream and assert on the records. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.CH_LOG_LEVEL ?? 'info',
      base: { service: 'channel-health' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { log: (record) => maskDeep(record) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhoneNumbers(a) : a));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
