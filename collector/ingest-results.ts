// POST /api/v1/results: batches of ProbeResults pushed by agents. A batch is taken whole or
// refused whole: a malformed body or item is 400; a well-formed batch with any item the config
// does not allow (unknown label, location not allowed, out of the window) is 422 with each
// item's outcome, so the agent drops exactly the refused ones and resends the rest. Accepted ids
// and what they add to the series are committed to disk before the answer; a resent id is
// acknowledged as a duplicate and counted once.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { Config } from '../config/index.js';
import { formatPromDuration } from '../config/index.js';
import { ProbeResultSchema, type ProbeResult } from '../synthetic/result.js';
import { CLOCK_SKEW_TOLERANCE_MS, IngestRefusal, schemaProblems, type IngestDeps } from './ingest-door.js';
import type { LedgerEntry } from './ingest-ledger.js';
import { resultSeriesRules, resultUpdates } from './metrics.js';

const checkResult = Compile(ProbeResultSchema);
const checkEnvelope = Compile(Type.Object({ results: Type.Array(Type.Unknown()) }, { additionalProperties: false }));

export type ResultOutcome =
  | { id: string; outcome: 'accepted' | 'duplicate' }
  | { id: string; outcome: 'rejected'; error: { code: 'CH_INGEST_UNKNOWN_LABEL' | 'CH_INGEST_OUT_OF_WINDOW'; message: string } }
  /** In a refused batch: this item was fine but, like the whole batch, not recorded; send it again. */
  | { id: string; outcome: 'not_recorded' };

export interface ResultBatchAnswer {
  accepted: number;
  duplicates: number;
  results: ResultOutcome[];
}

export function registerResultRoute(app: FastifyInstance, deps: IngestDeps): void {
  const { config, ledger, ingestMetrics, sink } = deps;
  const now = deps.now ?? Date.now;
  const allowed = resultRules(config);
  const seriesRules = resultSeriesRules(config);

  app.post('/api/v1/results', { bodyLimit: config.ingest.maxBodyBytes }, async (req): Promise<ResultBatchAnswer> => {
    const body: unknown = req.body;
    if (!checkEnvelope.Check(body)) {
      throw new IngestRefusal('CH_INGEST_MALFORMED', schemaProblems(checkEnvelope.Errors(body), 'body') ?? 'body: must be an object {"results": [...]}');
    }
    const items = body.results;
    if (items.length > config.ingest.maxBatch) {
      throw new IngestRefusal('CH_INGEST_BATCH_TOO_LARGE', `results: ${items.length} items is more than ingest.maxBatch (${config.ingest.maxBatch})`);
    }
    items.forEach((item, i) => {
      if (!checkResult.Check(item)) throw new IngestRefusal('CH_INGEST_MALFORMED', schemaProblems(checkResult.Errors(item), `results[${i}]`) ?? `results[${i}]: not a ProbeResult`);
      const insane = implausibleNumber(item);
      if (insane) throw new IngestRefusal('CH_INGEST_MALFORMED', `results[${i}].${insane}`);
      const contradiction = contradictoryOutcome(item);
      if (contradiction) throw new IngestRefusal('CH_INGEST_MALFORMED', `results[${i}].${contradiction}`);
    });
    const results = items as ProbeResult[];

    const at = now();
    const known = withLedger(deps, () => ledger.known('result', results.map((r) => r.id)));
    const outcomes: ResultOutcome[] = [];
    const fresh: ProbeResult[] = [];
    const inBatch = new Set<string>();
    let refused: { code: 'CH_INGEST_UNKNOWN_LABEL' | 'CH_INGEST_OUT_OF_WINDOW'; message: string } | null = null;
    results.forEach((r, i) => {
      if (known.has(r.id) || inBatch.has(r.id)) {
        outcomes.push({ id: r.id, outcome: 'duplicate' });
        return;
      }
      inBatch.add(r.id);
      const problem = allowed(r, at);
      if (problem) {
        const error = { code: problem.code, message: `results[${i}].${problem.message}` };
        refused ??= error;
        outcomes.push({ id: r.id, outcome: 'rejected', error });
        return;
      }
      fresh.push(r);
      outcomes.push({ id: r.id, outcome: 'accepted' });
    });
    if (refused !== null) {
      const first: { code: 'CH_INGEST_UNKNOWN_LABEL' | 'CH_INGEST_OUT_OF_WINDOW'; message: string } = refused;
      const listed = outcomes.map((o) => (o.outcome === 'accepted' ? { id: o.id, outcome: 'not_recorded' as const } : o));
      throw new IngestRefusal(first.code, first.message, { results: listed });
    }

    const entries: LedgerEntry[] = fresh.map((r) => ({ kind: 'result', id: r.id, at: r.startedAt }));
    if (fresh.length > 0) withLedger(deps, () => ledger.commit(entries, fresh.flatMap((r) => resultUpdates(r, seriesRules))));
    // On disk now; the registry and the recent-results store follow.
    for (const r of fresh) sink.accept(r);
    const duplicates = results.length - fresh.length;
    ingestMetrics.countItems('results', 'accepted', fresh.length);
    ingestMetrics.countItems('results', 'duplicate', duplicates);
    return { accepted: fresh.length, duplicates, results: outcomes };
  });
}

const DAY_MS = 86_400_000;
/** Epoch ms before 2001 or after 2286 is no clock a probe ran by. */
const EPOCH_MS_MIN = 1e12;
const EPOCH_MS_MAX = 1e13;

/** Numbers the schema lets through that no probe produces; they would poison sums and timestamps. */
function implausibleNumber(r: ProbeResult): string | null {
  if (r.startedAt < EPOCH_MS_MIN || r.startedAt > EPOCH_MS_MAX) return 'startedAt: must be epoch milliseconds of a real clock';
  if (r.durationMs > DAY_MS) return 'durationMs: longer than a day';
  const step = r.steps.findIndex((s) => s.durationMs > DAY_MS || s.connectMs > DAY_MS || s.ttfbMs > DAY_MS);
  return step >= 0 ? `steps[${step}]: a duration longer than a day` : null;
}

/**
 * The same rule events ingest applies: a success has no reason, and a failure says why. A result
 * that says both would be counted as a success while its reason went unseen.
 */
function contradictoryOutcome(r: ProbeResult): string | null {
  if (r.ok && r.reason !== null) return 'reason: only a failed result (ok: false) has a reason';
  if (r.ok && r.failedStep !== null) return 'failedStep: only a failed result (ok: false) has a failed step';
  if (!r.ok && r.reason === null) return 'reason: a failed result (ok: false) needs a reason';
  // A skipped run never probed: it is what an older collector counts as an internal failure.
  if (r.skipped !== undefined && (r.ok || r.reason !== 'internal')) return 'skipped: only a run that did not probe (ok: false, reason internal) is skipped';
  return null;
}

/** A ledger that cannot be read or written is a 503 with nothing recorded (and a log line), never a 500. */
export function withLedger<T>(deps: IngestDeps, work: () => T): T {
  try {
    return work();
  } catch (err) {
    deps.log.error({ err }, 'ingest state could not be read or written; batch refused');
    throw new IngestRefusal('CH_INGEST_UNAVAILABLE', `state: unavailable (${(err as Error).message}); nothing was recorded, retry later`);
  }
}

/**
 * What the config allows in a result beyond its schema: known channel, transaction and tier, an
 * allowed location, a configured check with those labels and only that check's step names (the
 * `step` label is bounded by the config like every other), inside the dedupe window.
 */
function resultRules(config: Config) {
  const channels = new Set(config.channels.map((c) => c.id));
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  const locations = new Set(config.ingest.allowedLocations);
  const checks = new Map(config.checks.map((c) => [c.id, { channel: c.channel, transaction: c.transaction, steps: new Set(c.steps.map((s) => s.name)) }]));
  const window = config.ingest.dedupeWindowMs;
  const unknown = (message: string) => ({ code: 'CH_INGEST_UNKNOWN_LABEL' as const, message });
  return (r: ProbeResult, now: number): { code: 'CH_INGEST_UNKNOWN_LABEL' | 'CH_INGEST_OUT_OF_WINDOW'; message: string } | null => {
    if (!channels.has(r.channel)) return unknown(`channel: unknown channel "${r.channel}"`);
    const tier = tierOf.get(r.transaction);
    if (tier === undefined) return unknown(`transaction: unknown transaction "${r.transaction}"`);
    if (tier !== r.tier) return unknown(`tier: "${r.tier}" is not the tier of ${r.transaction} (${tier})`);
    if (!locations.has(r.location)) return unknown(`location: "${r.location}" is not in ingest.allowedLocations (${[...locations].join(', ')})`);
    const check = checks.get(r.checkId);
    if (!check) return unknown(`checkId: no check "${r.checkId}" in this collector's config`);
    if (check.channel !== r.channel || check.transaction !== r.transaction) return unknown(`checkId: check "${r.checkId}" probes ${check.channel}.${check.transaction}, not ${r.channel}.${r.transaction}`);
    const step = r.steps.findIndex((s) => !check.steps.has(s.name));
    if (step >= 0) return unknown(`steps[${step}].name: check "${r.checkId}" has no step "${r.steps[step]?.name}"`);
    if (r.startedAt < now - window) return { code: 'CH_INGEST_OUT_OF_WINDOW', message: `startedAt: older than ingest.dedupeWindow (${formatPromDuration(window)}); it could no longer be told from a duplicate` };
    if (r.startedAt > now + CLOCK_SKEW_TOLERANCE_MS) return { code: 'CH_INGEST_OUT_OF_WINDOW', message: `startedAt: ${new Date(r.startedAt).toISOString()} is ahead of the collector's clock by more than ${formatPromDuration(CLOCK_SKEW_TOLERANCE_MS)}` };
    return null;
  };
}
