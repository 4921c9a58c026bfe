// Errors the probe journal raises, declared once (contract/error-codes.ts) with the HTTP status the
// journal API answers with and the exit code of a process that cannot open it.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const JournalErrorCodes = declareErrors(
  {
    title: 'Probe journal',
    file: 'journal/errors.ts',
    intro:
      'Raised when a probing process opens its journal (`run` exits 1, nothing listens) or answered by the journal API (`GET /api/v1/journal`, `POST /api/v1/journal/:runId/resolve`). See docs/safety.md.',
  },
  {
    CH_JOURNAL_OPEN: { exit: 1, description: 'The journal file could not be opened or created (`service.journal.path`: missing folder rights, not a SQLite file).' },
    CH_JOURNAL_LOCKED: { exit: 1, description: 'Another process has this journal open; one probing process per journal file.' },
    CH_JOURNAL_NOT_FOUND: { status: 404, description: 'No journal entry with that run id.' },
    CH_JOURNAL_ACCOUNT_BUSY: {
      description:
        'Raised when a run is about to be journaled, never answered: the leased account still has an unfinished money-moving run, so no other may start on it until that one is compensated or resolved. The run is refused before its money-moving request is sent (`reason: internal`).',
    },
    CH_JOURNAL_TRANSITION: { status: 409, description: 'The entry cannot move to that state from the one it is in (e.g. resolving a run that is already compensated); nothing changed.' },
  },
);

export type JournalErrorCode = CodeOf<typeof JournalErrorCodes>;

export class JournalError extends errorClass(JournalErrorCodes, 'JournalError') {}
