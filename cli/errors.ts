// Errors of the command line itself, declared once (contract/error-codes.ts). The exit codes every
// command shares are declared with each code: 0 done, 1 failed while running, 2 bad input.
import { declareErrors } from '../contract/error-codes.js';

export const CliErrorCodes = declareErrors(
  {
    title: 'Command line',
    file: 'cli/errors.ts',
    intro:
      'Every command exits `0` when done, `1` when it failed while running, `2` on bad input (config, flags) with nothing started; the exit column of every table on this page is the code a command stops with on that error. A long-running command (`run`, `agent`, `collector`) that cannot start prints `CODE: message`.',
  },
  {
    CH_CLI_USAGE: { exit: 2, description: 'A flag is unknown or has a bad value (`--listen: "x" must be HOST:PORT …`); the command prints its usage and starts nothing.' },
  },
);
