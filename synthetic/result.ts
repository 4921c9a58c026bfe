// ProbeResult: the one contract between synthetic/ and collector/, in-process and over the wire
// (agent push). Versioned, and validated like any other input when it arrives from outside.
import Type, { type Static } from 'typebox';
import { safeDetail } from '../logging/mask.js';

/** The closed set of failure reasons; the `reason` label never takes any other value. */
export const FAILURE_REASONS = ['timeout', 'connect', 'tls', 'http_status', 'assertion', 'business_error', 'internal'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

const Reason = Type.Unsafe<FailureReason>(Type.Union(FAILURE_REASONS.map((r) => Type.Literal(r))));

/**
 * Why a run did not probe at all: the probe's own resources were short, not the channel. Such a
 * run is counted apart (the contract's probe skipped counter), never as a run or a failure.
 */
export const SKIP_REASONS = ['no_free_account'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const StepResultSchema = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    ok: Type.Boolean(),
    /** Not run: an earlier step failed (or, for an `always` step, a value it needs was never extracted). */
    skipped: Type.Boolean(),
    always: Type.Boolean(),
    durationMs: Type.Number({ minimum: 0 }),
    /** Time to a usable connection (0 on a reused connection: see `connection`), time to first byte. */
    connectMs: Type.Number({ minimum: 0 }),
    ttfbMs: Type.Number({ minimum: 0 }),
    status: Type.Union([Type.Integer(), Type.Null()]),
    businessCode: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    reason: Type.Union([Reason, Type.Null()]),
    detail: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    /**
     * The transport's own phases in milliseconds, added in v1 as an optional field: SMPP's
     * `submitResp` (submit → submit_sm_resp) and `reply` (submit → the reply deliver_sm); HTTP's
     * `dns`, `connect`, `tls` (only those that ran), `processing` and `transfer`; SIP's `postDial`,
     * `answer`, `firstPrompt` (dial step), `response` (press steps) and `call` (hangup step).
     */
    /**
     * Added in v1 as an optional field, on HTTP steps: `new` when the step opened its connection
     * (its dns/connect/tls phases ran), `reused` when it went over the run's open one (they did not).
     */
    connection: Type.Optional(Type.Union([Type.Literal('new'), Type.Literal('reused')])),
    phases: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,31}$' }), Type.Number({ minimum: 0 }), { maxProperties: 8 })),
  },
  { additionalProperties: false },
);

export const ProbeResultSchema = Type.Object(
  {
    version: Type.Literal(1),
    /** Unique per run; the idempotency key when agents push results. */
    id: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    checkId: Type.String({ maxLength: 128 }),
    channel: Type.String({ maxLength: 63 }),
    transaction: Type.String({ maxLength: 63 }),
    tier: Type.String({ maxLength: 63 }),
    location: Type.String({ maxLength: 63 }),
    trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
    /** When the scheduler meant the run to start (epoch ms); null for a manual run. */
    scheduledAt: Type.Union([Type.Number(), Type.Null()]),
    startedAt: Type.Number(),
    durationMs: Type.Number({ minimum: 0 }),
    ok: Type.Boolean(),
    reason: Type.Union([Reason, Type.Null()]),
    failedStep: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    detail: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    /** True when an `always` (compensating) step failed; the transaction's own outcome is `ok`. */
    cleanupFailed: Type.Boolean(),
    steps: Type.Array(StepResultSchema, { maxItems: 64 }),
    /**
     * Set when the run never probed because the probe lacked a resource (no free test account
     * before the deadline), added in v1 as an optional field. Such a result has `ok: false` and
     * reason `internal` (what a collector that predates the field records); a collector that
     * knows it counts the run as skipped, not as a run or a failure of the channel.
     */
    skipped: Type.Optional(Type.Unsafe<SkipReason>(Type.Union(SKIP_REASONS.map((r) => Type.Literal(r))))),
    /**
     * The check's circuit breaker (docs/safety.md), added in v1 as an optional field. `half_open`:
     * this run was the open breaker's one trial; `skipped`: scheduled firings the open breaker
     * skipped since the previous run (they produce no result); `after`: the state this run left.
     */
    breaker: Type.Optional(
      Type.Object(
        {
          state: Type.Union([Type.Literal('closed'), Type.Literal('half_open')]),
          skipped: Type.Integer({ minimum: 0 }),
          after: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type StepResult = Static<typeof StepResultSchema>;
export type ProbeResult = Static<typeof ProbeResultSchema>;

/**
 * The result with its free text (details, failed step, business codes) safe to store and serve:
 * control characters stripped, subscriber numbers masked (logging/mask.ts). The runner applies
 * it to what it makes and the collector to what it accepts, so a pushed result is held to the
 * same rule as a local one.
 */
export function withSafeText(result: ProbeResult): ProbeResult {
  const text = (value: string | null, max: number) => (value === null ? null : safeDetail(value, max));
  return {
    ...result,
    failedStep: text(result.failedStep, 64),
    detail: text(result.detail, 1024),
    steps: result.steps.map((s) => ({ ...s, businessCode: text(s.businessCode, 64), detail: text(s.detail, 1024) })),
  };
}
