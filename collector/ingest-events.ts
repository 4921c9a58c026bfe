// POST /api/v1/events: outcomes of real customer transactions pushed by the channel systems, as a
// JSON array or NDJSON (content-type application/x-ndjson). Same door and same all-or-nothing
// rule as results: 400 for a malformed body or event, 422 (with the refused events listed) for a
// channel or transaction the config does not know; counted in the contract's real-event counters
// (METRICS.events, eventFailures and, with a business code, eventBusinessErrors). An event with
// an `id` is counted once.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { formatPromDuration } from '../config/index.js';
import { FAILURE_REASONS, type FailureReason } from '../synthetic/result.js';
import { CLOCK_SKEW_TOLERANCE_MS, IngestRefusal, NdjsonBody, schemaProblems, type IngestDeps } from './ingest-door.js';
import type { LedgerEntry } from './ingest-ledger.js';
import { withLedger } from './ingest-results.js';
import { businessCodeLabels, eventUpdates } from './metrics.js';

/** The wire form of one real event (docs/events.md). */
export const RealEventSchema = Type.Object(
  {
    channel: Type.String({ maxLength: 63, description: 'Channel id from the config, e.g. web.' }),
    transaction: Type.String({ maxLength: 63, description: 'Transaction id from the config, e.g. topup.' }),
    ok: Type.Boolean({ description: 'Whether the customer transaction succeeded.' }),
    reason: Type.Optional(
      Type.Union([Type.Union(FAILURE_REASONS.map((r) => Type.Literal(r))), Type.Null()], { description: 'Why it failed (closed set); only with ok: false; internal when omitted.' }),
    ),
    code: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'The channel\'s business result code of a failed transaction (only with ok: false). Counted by code when the channel lists it under businessCode.errors in the config, as `other` when not.',
      }),
    ),
    latencyMs: Type.Optional(Type.Number({ minimum: 0, maximum: 3_600_000, description: 'How long the transaction took, in milliseconds.' })),
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'When it happened (RFC 3339); the time of arrival when omitted.' })),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Idempotency key: an event sent twice with one id is counted once.' })),
  },
  { additionalProperties: false },
);
export type RealEventInput = Static<typeof RealEventSchema>;

const checkEvent = Compile(RealEventSchema);

export interface EventRefusal {
  /** `events[3]` for a JSON array, `line 4` for NDJSON. */
  item: string;
  code: 'CH_INGEST_UNKNOWN_LABEL' | 'CH_INGEST_OUT_OF_WINDOW';
  message: string;
}

export interface EventBatchAnswer {
  accepted: number;
  duplicates: number;
}

export function registerEventRoute(app: FastifyInstance, deps: IngestDeps): void {
  const { config, ledger, ingestMetrics, metrics } = deps;
  const now = deps.now ?? Date.now;
  const channels = new Set(config.channels.map((c) => c.id));
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  const window = config.ingest.dedupeWindowMs;
  const codeLabel = businessCodeLabels(config);

  app.post('/api/v1/events', { bodyLimit: config.ingest.maxBodyBytes }, async (req): Promise<EventBatchAnswer> => {
    const body: unknown = req.body;
    let items: unknown[];
    let where: (i: number) => string;
    if (body instanceof NdjsonBody) {
      items = body.items;
      where = (i) => `line ${body.lines[i]}`;
    } else if (Array.isArray(body)) {
      items = body;
      where = (i) => `events[${i}]`;
    } else {
      throw new IngestRefusal('CH_INGEST_MALFORMED', 'body: must be a JSON array of events (or NDJSON with content-type application/x-ndjson)');
    }
    if (items.length > config.ingest.maxBatch) {
      throw new IngestRefusal('CH_INGEST_BATCH_TOO_LARGE', `body: ${items.length} events is more than ingest.maxBatch (${config.ingest.maxBatch})`);
    }
    items.forEach((item, i) => {
      if (!checkEvent.Check(item)) throw new IngestRefusal('CH_INGEST_MALFORMED', schemaProblems(checkEvent.Errors(item), where(i)) ?? `${where(i)}: not an event`);
      if (item.ok && item.reason != null) throw new IngestRefusal('CH_INGEST_MALFORMED', `${where(i)}.reason: only a failed event (ok: false) has a reason`);
      if (item.ok && item.code !== undefined) throw new IngestRefusal('CH_INGEST_MALFORMED', `${where(i)}.code: only a failed event (ok: false) has a business code`);
      if (item.at !== undefined && !Number.isFinite(Date.parse(item.at))) throw new IngestRefusal('CH_INGEST_MALFORMED', `${where(i)}.at: not a date-time`);
    });
    const events = items as RealEventInput[];

    const arrival = now();
    const refusals: EventRefusal[] = [];
    events.forEach((e, i) => {
      const item = where(i);
      if (!channels.has(e.channel)) refusals.push({ item, code: 'CH_INGEST_UNKNOWN_LABEL', message: `${item}.channel: unknown channel "${e.channel}"` });
      else if (!tierOf.has(e.transaction)) refusals.push({ item, code: 'CH_INGEST_UNKNOWN_LABEL', message: `${item}.transaction: unknown transaction "${e.transaction}"` });
      else if (e.at !== undefined) {
        const at = Date.parse(e.at);
        if (at < arrival - window) refusals.push({ item, code: 'CH_INGEST_OUT_OF_WINDOW', message: `${item}.at: older than ingest.dedupeWindow (${formatPromDuration(window)})` });
        else if (at > arrival + CLOCK_SKEW_TOLERANCE_MS) refusals.push({ item, code: 'CH_INGEST_OUT_OF_WINDOW', message: `${item}.at: ahead of the collector's clock by more than ${formatPromDuration(CLOCK_SKEW_TOLERANCE_MS)}` });
      }
    });
    const first = refusals[0];
    if (first) throw new IngestRefusal(first.code, first.message, { rejected: refusals });

    const withId = events.filter((e) => e.id !== undefined).map((e) => e.id as string);
    const known = withLedger(deps, () => ledger.known('event', withId));
    const inBatch = new Set<string>();
    const fresh = events.filter((e) => {
      if (e.id === undefined) return true;
      if (known.has(e.id) || inBatch.has(e.id)) return false;
      inBatch.add(e.id);
      return true;
    });
    const shaped = fresh.map((e) => ({
      channel: e.channel,
      transaction: e.transaction,
      tier: tierOf.get(e.transaction) as string,
      ok: e.ok,
      reason: e.ok ? null : ((e.reason ?? 'internal') as FailureReason),
      code: e.ok || e.code === undefined ? null : codeLabel(e.channel, e.code),
      latencyMs: e.latencyMs ?? null,
    }));
    const entries: LedgerEntry[] = fresh.flatMap((e) => (e.id === undefined ? [] : [{ kind: 'event' as const, id: e.id, at: e.at === undefined ? arrival : Date.parse(e.at) }]));
    if (entries.length > 0 || shaped.length > 0) withLedger(deps, () => ledger.commit(entries, shaped.flatMap(eventUpdates)));
    for (const e of shaped) {
      metrics.recordEvent(e);
      if (e.latencyMs !== null) ingestMetrics.observeEventLatency(e.channel, e.transaction, e.latencyMs / 1000);
    }
    const duplicates = events.length - fresh.length;
    ingestMetrics.countItems('events', 'accepted', fresh.length);
    ingestMetrics.countItems('events', 'duplicate', duplicates);
    return { accepted: fresh.length, duplicates };
  });
}
