// The shape every CLI command has: it gets its arguments and standard streams, returns an exit code.
// Exit codes (docs/errors.md, declared with each code): 0 done, 1 failed while running, 2 bad
// input (config, flags), nothing started.
import type { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { ConfigError } from '../config/index.js';
import { createLogger, LOG_FORMATS, logOutputFor, type LogFormat, type Logger } from '../logging/logger.js';
import { ChannelHealthError } from '../contract/error-codes.js';
import { CliErrorCodes } from './errors.js';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export type CommandMain = (args: string[], io: CliIO) => Promise<number>;

export const EXIT = Object.freeze({ ok: 0, failed: 1, badInput: 2 });

/** A flag error: named, printed with the command's usage, exit 2. */
export class UsageError extends ChannelHealthError {
  declare readonly code: 'CH_CLI_USAGE';
  constructor(message: string) {
    super(CliErrorCodes, 'CH_CLI_USAGE', message);
    this.name = 'UsageError';
  }
}

/**
 * What every long-running command (run, agent, collector) does when it cannot start: print why
 * and return the exit code — a declared error's own (2 for a bad config, 1 for a stateful part
 * such as the journal or the spool that refuses), 1 for a port it cannot listen on. Anything else
 * is a bug and is rethrown.
 */
export function startupFailure(err: unknown, command: string, io: CliIO): number {
  if (err instanceof ConfigError) {
    io.stderr.write(`${err.describe()}\n`);
    return EXIT.badInput;
  }
  if (err instanceof UsageError) throw err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    io.stderr.write(`channel-health ${command}: cannot listen: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
  if (err instanceof ChannelHealthError) {
    io.stderr.write(`${err.code}: ${err.message}\n`);
    return err.exitCode;
  }
  throw err;
}

/** Resolves on the first SIGTERM or SIGINT, after saying so on stderr. */
export function untilSignal(command: string, io: CliIO): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      io.stderr.write(`channel-health ${command}: ${signal} received, stopping\n`);
      resolve();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

/** The `--log-format` flag every long-running command takes (parseArgs option). */
export const LOG_FORMAT_OPTION = { 'log-format': { type: 'string' } } as const;

export const LOG_FORMAT_HELP = '--log-format pretty|json: pretty (coloured) lines on a terminal, JSON otherwise, unless this says.';

/**
 * The command's root logger, in the format `--log-format` names or the terminal implies. Pass
 * `toStdoutStream` where the command logs through io.stdout (tests capture it) rather than fd 1.
 */
export function commandLogger(flag: string | undefined, io: CliIO, toStdoutStream = false): Logger {
  if (flag !== undefined && !(LOG_FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--log-format: "${flag}" must be ${LOG_FORMATS.join(' or ')}`);
  const output = logOutputFor(io.stdout as { isTTY?: boolean }, io.env, flag as LogFormat | undefined);
  return createLogger({ ...output, ...(toStdoutStream ? { destination: io.stdout as unknown as DestinationStream } : {}) });
}
