// Errors raised by synthetic/. Expected probe failures are results, not errors; these are for
// callers asking for something that cannot be done (docs/errors.md lists the codes).
export const SyntheticErrorCodes = {
  CH_CHECK_NOT_FOUND: 'No check with that id is configured.',
  CH_CHECK_BUSY: 'The check is already running; a check never overlaps its own previous run.',
  CH_SCHEDULER_STOPPED: 'The scheduler is stopping and takes no new runs.',
} as const;

export type SyntheticErrorCode = keyof typeof SyntheticErrorCodes;

export class SyntheticError extends Error {
  readonly code: SyntheticErrorCode;
  constructor(code: SyntheticErrorCode, message: string) {
    super(message);
    this.name = 'SyntheticError';
    this.code = code;
  }
}
