// What the status page shows, as one JSON document scripts can read too (GET /api/v1/status):
// each channel × transaction with its state, last result and last failure, the recent failures,
// the objectives, and the active alerts. Built by a pure function from the parts the caller has.
import Type, { type Static } from 'typebox';
import type { CheckSummary } from '../collector/result-store.js';
import { maintenanceActive, type Config } from '../config/index.js';
import type { ProbeResult } from '../synthetic/result.js';

/** The states a cell can be in, worst handled first (see cellState). */
export const CELL_STATES = ['met', 'failing', 'hard_down', 'breaker_open', 'maintenance', 'no_data'] as const;
export type CellState = (typeof CELL_STATES)[number];

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO 8601, UTC' });

const FailureView = Type.Object(
  {
    at: Timestamp,
    checkId: Type.String(),
    channel: Type.String(),
    transaction: Type.String(),
    reason: Nullable(Type.String()),
    step: Nullable(Type.String()),
    businessCode: Nullable(Type.String()),
    detail: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const CellView = Type.Object(
  {
    checkId: Type.String(),
    channel: Type.String(),
    transaction: Type.String(),
    tier: Type.String(),
    state: Type.Unsafe<CellState>(Type.Union(CELL_STATES.map((s) => Type.Literal(s)))),
    consecutiveFailures: Type.Integer({ minimum: 0 }),
    /** Failed runs in a row that make this pair hard down (its tier's count). */
    hardDownAfter: Type.Integer({ minimum: 1 }),
    lastResult: Nullable(
      Type.Object(
        { at: Timestamp, ok: Type.Boolean(), durationMs: Type.Integer({ minimum: 0 }), reason: Nullable(Type.String()), step: Nullable(Type.String()), businessCode: Nullable(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    lastFailure: Nullable(FailureView),
    lastSuccessAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

const AlertView = Type.Object(
  { name: Type.String(), severity: Type.String(), startsAt: Timestamp, summary: Type.String(), labels: Type.Record(Type.String(), Type.String()) },
  { additionalProperties: false },
);

const NotificationView = Type.Object(
  {
    at: Timestamp,
    receiver: Type.String(),
    status: Type.String(),
    alerts: Type.Array(Type.Object({ name: Type.String(), severity: Type.String(), status: Type.String(), summary: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const StatusSchema = Type.Object(
  {
    generatedAt: Timestamp,
    location: Type.String(),
    channels: Type.Array(Type.Object({ id: Type.String(), description: Type.String() }, { additionalProperties: false })),
    transactions: Type.Array(Type.Object({ id: Type.String(), description: Type.String(), tier: Type.String() }, { additionalProperties: false })),
    cells: Type.Array(CellView),
    recentFailures: Type.Array(FailureView),
    objectives: Type.Array(
      Type.Object(
        { tier: Type.String(), label: Type.String(), objective: Type.Number(), hardDownAfter: Type.Integer(), transactions: Type.Array(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    /** The configured maintenance windows and whether each is on now. */
    maintenance: Type.Array(Type.Object({ id: Type.String(), description: Type.String(), on: Type.Boolean() }, { additionalProperties: false })),
    alerts: Type.Object(
      {
        /** The Alertmanager read (service.alertmanagerUrl), or null when none is configured. */
        source: Nullable(Type.String()),
        /** Why the last read failed, or null. */
        error: Nullable(Type.String()),
        fetchedAt: Nullable(Timestamp),
        active: Type.Array(AlertView),
      },
      { additionalProperties: false },
    ),
    /** Notifications delivered to the built-in webhook receiver (the demo's); empty without one. */
    notifications: Nullable(Type.Array(NotificationView)),
  },
  { additionalProperties: false },
);

export type Status = Static<typeof StatusSchema>;
export type AlertSummary = Static<typeof AlertView>;
export type NotificationSummary = Static<typeof NotificationView>;

export interface AlertsView {
  source: string | null;
  error: string | null;
  fetchedAt: number | null;
  active: AlertSummary[];
}

export interface StatusInputs {
  config: Config;
  summary: (checkId: string) => CheckSummary;
  recentFailures: (limit: number) => ProbeResult[];
  /** Ids of checks whose circuit breaker is not closed, where this process runs them; else each last result's breaker says. */
  openBreakers?: () => ReadonlySet<string>;
  /** Whether a pair is in maintenance now; the config's maintenance windows (`maintenanceAt`) by default. */
  inMaintenance?: (channel: string, transaction: string) => boolean;
  alerts: AlertsView;
  notifications: NotificationSummary[] | null;
  now: number;
}

export const RECENT_FAILURES_SHOWN = 20;

/**
 * The pairs a maintenance window (config `maintenance:`) covers at `nowMs`: every transaction on
 * a channel it names, and every transaction that uses a backend it names, as Alertmanager mutes them.
 */
export function maintenanceAt(config: Config, nowMs: number): (channel: string, transaction: string) => boolean {
  const on = config.maintenance.filter((w) => maintenanceActive(w, nowMs, config.service.utcOffsetMinutes));
  if (on.length === 0) return () => false;
  const backendsOf = new Map(config.transactions.map((t) => [t.id, t.backends]));
  return (channel, transaction) => on.some((w) => w.channels.includes(channel) || w.backends.some((b) => backendsOf.get(transaction)?.includes(b)));
}

export function buildStatus(inputs: StatusInputs): Status {
  const { config } = inputs;
  const hardDownByTier = new Map(config.tiers.map((t) => [t.id, t.hardDownConsecutive]));
  const open = inputs.openBreakers?.();
  const inMaintenance = inputs.inMaintenance ?? maintenanceAt(config, inputs.now);
  const cells = config.checks.map((check) => {
    const s = inputs.summary(check.id);
    const hardDownAfter = hardDownByTier.get(check.tier) ?? config.alerting.hardDownConsecutive;
    const last = s.lastResult;
    return {
      checkId: check.id,
      channel: check.channel,
      transaction: check.transaction,
      tier: check.tier,
      state: cellState({
        summary: s,
        hardDownAfter,
        breakerOpen: open ? open.has(check.id) : last?.breaker?.after === 'open',
        inMaintenance: inMaintenance(check.channel, check.transaction),
      }),
      consecutiveFailures: s.consecutiveFailures,
      hardDownAfter,
      lastResult: last && { at: iso(last.startedAt), ok: last.ok, durationMs: Math.round(last.durationMs), reason: last.reason, step: last.failedStep, businessCode: businessCode(last) },
      lastFailure: s.lastFailure && failureView(s.lastFailure),
      lastSuccessAt: s.lastSuccessAt === null ? null : iso(s.lastSuccessAt),
    };
  });
  return {
    generatedAt: iso(inputs.now),
    location: config.service.location,
    channels: config.channels.map((c) => ({ id: c.id, description: c.description })),
    transactions: config.transactions.map((t) => ({ id: t.id, description: t.description, tier: t.tier })),
    cells,
    recentFailures: inputs.recentFailures(RECENT_FAILURES_SHOWN).map(failureView),
    objectives: config.tiers.map((t) => ({
      tier: t.id,
      label: t.label,
      objective: t.objective,
      hardDownAfter: t.hardDownConsecutive,
      transactions: config.transactions.filter((x) => x.tier === t.id).map((x) => x.id),
    })),
    maintenance: config.maintenance.map((w) => ({ id: w.id, description: w.description, on: maintenanceActive(w, inputs.now, config.service.utcOffsetMinutes) })),
    alerts: { source: inputs.alerts.source, error: inputs.alerts.error, fetchedAt: inputs.alerts.fetchedAt === null ? null : iso(inputs.alerts.fetchedAt), active: inputs.alerts.active },
    notifications: inputs.notifications,
  };
}

/**
 * One state per cell. Maintenance wins (failures then are expected); without a result there is
 * no data; an open breaker says more than the failures behind it; hard down is the tier's run
 * count of failures in a row; any failure of the last run is failing.
 */
export function cellState(p: { summary: CheckSummary; hardDownAfter: number; breakerOpen: boolean; inMaintenance: boolean }): CellState {
  if (p.inMaintenance) return 'maintenance';
  if (p.summary.lastResult === null) return 'no_data';
  if (p.breakerOpen) return 'breaker_open';
  if (p.summary.consecutiveFailures >= p.hardDownAfter) return 'hard_down';
  if (!p.summary.lastResult.ok) return 'failing';
  return 'met';
}

function failureView(r: ProbeResult): Static<typeof FailureView> {
  return { at: iso(r.startedAt), checkId: r.checkId, channel: r.channel, transaction: r.transaction, reason: r.reason, step: r.failedStep, businessCode: businessCode(r), detail: r.detail };
}

/** The business code of the step that failed (or of the last step that carried one). */
function businessCode(r: ProbeResult): string | null {
  const failed = r.steps.find((s) => s.name === r.failedStep && s.businessCode !== null);
  if (failed) return failed.businessCode;
  if (r.ok) return null;
  return [...r.steps].reverse().find((s) => s.businessCode !== null)?.businessCode ?? null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
