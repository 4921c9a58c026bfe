// The shape every CLI command has: it gets its arguments and standard streams, returns an exit code.
// Exit codes (docs/cli.md): 0 done, 1 failed while running, 2 bad input (config, flags), nothing started.
import type { Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export type CommandMain = (args: string[], io: CliIO) => Promise<number>;

export const EXIT = Object.freeze({ ok: 0, failed: 1, badInput: 2 });

/** A flag error: named, printed with the command's usage, exit 2. */
export class UsageError extends Error {
  readonly code = 'CH_CLI_USAGE';
}
