// One root logger per process, made by whoever starts it and passed down; parts take children.
// Secrets are redacted by path and phone numbers masked by one formatter, not by call sites.
import pino, { type DestinationStream, type Logger } from 'pino';

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

// Mainland mobile numbers (11 digits starting 1[3-9]), with or without +86/86, inside any text.
const PHONE = /(?<![0-9])(?:\+?86)?(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])/g;

/** 13912345678 → 139****5678: enough to tell test accounts apart, not enough to dial. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE, (_m, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

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
