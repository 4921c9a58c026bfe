// Errors the probe journal raises, with a stable code and the HTTP status the journal API answers
// with. docs/errors.md lists them; a test keeps both in step.
export const JournalErrors = {
  CH_JOURNAL_OPEN: { status: 500, description: 'The journal file could not be opened or created (folder, permissions, not a SQLite file).' },
  CH_JOURNAL_LOCKED: { status: 500, description: 'Another process holds the journal; one probing process per journal file.' },
  CH_JOURNAL_NOT_FOUND: { status: 404, description: 'No journal entry with that run id.' },
  CH_JOURNAL_ACCOUNT_BUSY: { status: 409, description: 'The account has an unfinished money-moving run; no other may start on it until that one is compensated or resolved. Nothing was sent.' },
  CH_JOURNAL_TRANSITION: { status: 409, description: 'The entry cannot move to that state from the one it is in (e.g. resolving a compensated run); nothing changed.' },
} as const;

export type JournalErrorCode = keyof typeof JournalErrors;

export class JournalError extends Error {
  readonly code: JournalErrorCode;
  readonly statusCode: number;
  constructor(code: JournalErrorCode, message: string) {
    super(message);
    this.name = 'JournalError';
    this.code = code;
    this.statusCode = JournalErrors[code].status;
  }
}
