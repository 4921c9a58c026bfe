// One root logger per process, made by whoever starts it and passed down; parts take children.
// Secrets are redacted by path and phone numbers masked by one formatter, not by call sites.
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
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

/** `json`: one record a line, for collectors of logs. `pretty`: a line a person reads, coloured on a terminal. */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: string;
  /** Tests pass an in-memory stream and assert on the records. */
  destination?: DestinationStream;
  /** json by default. */
  format?: LogFormat;
  /** Colours in the pretty format (a terminal that takes them); off by default. */
  colorize?: boolean;
}

/**
 * The format a command logs in when `--log-format` does not say: pretty on a terminal, JSON
 * when the output goes to a file, a pipe or a log collector. NO_COLOR (no-color.org) turns the
 * colours off, not the format.
 */
export function logOutputFor(stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: LogFormat): { format: LogFormat; colorize: boolean } {
  const tty = stdout.isTTY === true;
  return { format: flag ?? (tty ? 'pretty' : 'json'), colorize: tty && (env.NO_COLOR ?? '') === '' };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // The pretty printer is a stream after pino's own serialization, so redaction and masking have
  // already happened: both formats carry exactly the same (safe) record.
  const destination =
    options.format === 'pretty'
      ? pinoPretty({
          colorize: options.colorize ?? false,
          sync: true,
          destination: options.destination ?? 1,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service,component',
          messageFormat: '{if component}[{component}] {end}{msg}',
        })
      : options.destination;
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
    destination,
  );
}
