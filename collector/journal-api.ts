// GET /api/v1/journal: the probe journal's unfinished money-moving runs (and, on request, the
// latest finished ones), subscriber numbers masked; POST /api/v1/journal/:runId/resolve: a human
// records that a flagged run was compensated by hand. The journal comes in as an interface, so
// the collector does not depend on how it is stored.
import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_ONLY } from '../config/admin-routes.js';
import Type from 'typebox';
import { maskMsisdn, safeDetail } from '../logging/mask.js';

export interface JournalEntryView {
  runId: string;
  checkId: string;
  channel: string;
  transaction: string;
  location: string;
  msisdn: string;
  step: string;
  state: string;
  flagged: boolean;
  retryable: boolean;
  attempts: number;
  detail: string | null;
  vars: Record<string, string>;
  /** Where the account must go back to (journal/store.ts). */
  baseline: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** What the API needs of the journal (journal/store.ts's ProbeJournal has it). */
export interface JournalSource {
  list(options: { limit: number; finished?: boolean }): JournalEntryView[];
  counts(): { intended: number; done: number; flagged: number };
  resolve(runId: string, note: string): JournalEntryView;
}

export interface JournalApiOptions {
  journal: JournalSource;
}

const ListQuery = Type.Object(
  {
    finished: Type.Optional(Type.Boolean({ default: false, description: 'Also list the latest finished entries (compensated, refused, resolved).' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
const RunParams = Type.Object({ runId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }, { additionalProperties: false });
const ResolveBody = Type.Object({ note: Type.String({ minLength: 1, maxLength: 500, description: 'What was done by hand, for the record.' }) }, { additionalProperties: false });

const safeValues = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, safeDetail(v)]));

function view(e: JournalEntryView) {
  return {
    runId: e.runId,
    check: e.checkId,
    channel: e.channel,
    transaction: e.transaction,
    location: e.location,
    account: maskMsisdn(e.msisdn),
    step: e.step,
    state: e.state,
    flagged: e.flagged,
    retryable: e.retryable,
    attempts: e.attempts,
    // Written sanitised by the journal; masked again here, as everything served about an account is.
    detail: e.detail === null ? null : safeDetail(e.detail),
    vars: safeValues(e.vars),
    baseline: safeValues(e.baseline),
    createdAt: new Date(e.createdAt).toISOString(),
    updatedAt: new Date(e.updatedAt).toISOString(),
  };
}

export const journalApi: FastifyPluginAsync<JournalApiOptions> = async (app, { journal }) => {
  // The journal's own errors (journal/errors.ts) carry their declared status; the collector's
  // error handler answers them.
  app.get<{ Querystring: { finished?: boolean; limit?: number } }>('/api/v1/journal', { schema: { querystring: ListQuery } }, async (req) => {
    const { finished = false, limit = 100 } = req.query;
    return { pending: journal.counts(), entries: journal.list({ limit, finished }).map(view) };
  });

  app.post<{ Params: { runId: string }; Body: { note: string } }>(
    '/api/v1/journal/:runId/resolve',
    // The admin token is checked by the collector's hook before the id or body is validated.
    { schema: { params: RunParams, body: ResolveBody }, config: ADMIN_ONLY },
    async (req) => {
      return view(journal.resolve(req.params.runId, req.body.note));
    },
  );
};
