// The report's figures: what the JSON holds and what the HTML and Markdown renderers read.
// Versioned like every other output others may parse; add fields, never change their meaning.

export const REPORT_VERSION = 2;

/** Where a success figure comes from: real customer transactions, or synthetic probes when there are none. */
export type Basis = 'real' | 'probe';
export type Verdict = 'met' | 'missed' | 'no_data' | 'no_objective';

export interface PeriodInfo {
  label: string;
  /** ISO 8601, UTC. */
  from: string;
  to: string;
  /** The business clock hours and days are read on, e.g. `UTC+08:00`. */
  utcOffset: string;
}

export interface Outcomes {
  total: number;
  failures: number;
  /** Failures by reason, reasons with none left out, keys sorted. */
  byReason: Record<string, number>;
}

export interface SuccessFigures {
  successRatio: number | null;
  verdict: Verdict;
  /** success − objective, in percentage points; negative when missed. */
  marginPoints: number | null;
  /** Failures the objective allows for this volume: total × (1 − objective). */
  allowedFailures: number | null;
  /** failures ÷ allowed failures; 1 is the whole budget. */
  budgetSpent: number | null;
}

/** One basis's success on its own: its volume, its verdict against the objective, its budget and top reason. */
export interface BasisFigures extends SuccessFigures {
  total: number;
  failures: number;
  topReason: string | null;
}

/**
 * Probes and real traffic telling different stories about the same transaction (and channel):
 * `verdicts` when one met the objective and the other missed it, `far_apart` when both missed but
 * one spent more than a whole budget more than the other and at least twice as much.
 */
export interface Disagreement {
  kind: 'verdicts' | 'far_apart';
  /** The basis that looks worse. */
  worse: Basis;
  /** What such a disagreement usually means, for the review. */
  meaning: string;
}

/** Time inside maintenance windows covering a row, what was counted in it, and the row without it. */
export interface PlannedFigures {
  /** Seconds of the period inside the windows (overlaps counted once). */
  seconds: number;
  probe: Outcomes;
  real: Outcomes;
  /** Each basis judged on what is left outside the planned time. */
  without: { probe: BasisFigures; real: BasisFigures };
}

export interface SuccessRow extends SuccessFigures {
  transaction: string;
  /** null on the all-channels row of a transaction. */
  channel: string | null;
  tier: string;
  objective: number | null;
  basis: Basis;
  total: number;
  failures: number;
  topReason: string | null;
  real: Outcomes;
  probe: Outcomes;
  /** Both bases side by side, each judged on its own (the headline figures above are `basis`'s). */
  bases: { probe: BasisFigures; real: BasisFigures };
  /** null when the bases agree or only one has data. */
  disagreement: Disagreement | null;
  /** null when no maintenance window covered the row in the period; the figures above include planned time. */
  planned: PlannedFigures | null;
  previous: { basis: Basis; total: number; failures: number; successRatio: number | null } | null;
  /** success − previous success, in percentage points. */
  changePoints: number | null;
}

export interface VerdictCounts {
  /** Rows with data and an objective. */
  judged: number;
  met: number;
  missed: number;
}

/** Misses counted on each basis, for transactions (all channels) and for transaction × channel rows. */
export interface SuccessSummary {
  probe: { transactions: VerdictCounts; rows: VerdictCounts };
  real: { transactions: VerdictCounts; rows: VerdictCounts };
  disagreements: { transactions: number; rows: number };
}

export interface ReasonRow {
  reason: string;
  failures: number;
  /** Of all failures on this basis in the period. */
  share: number;
  previousFailures: number;
}

/** One step of one transaction failing for one reason, all channels together. */
export interface StepFailureRow {
  transaction: string;
  step: string;
  reason: string;
  failures: number;
  /** Per channel, channels with none left out, keys sorted. */
  byChannel: Record<string, number>;
  previousFailures: number;
}

/** One business failure code answered by one step of one transaction, all channels together. */
export interface BusinessCodeRow {
  /** The code, or `other` for codes the config does not list. */
  code: string;
  /** What the config says the code means; null for `other` and for codes no channel lists. */
  meaning: string | null;
  transaction: string;
  /** The probe step that answered it; null for real transactions (events carry no step). */
  step: string | null;
  failures: number;
  byChannel: Record<string, number>;
  previousFailures: number;
}

export interface AlertEpisode {
  /** ISO 8601 UTC. */
  start: string;
  end: string;
  durationSeconds: number;
  /** Was already firing when the period began / still firing when it ended. */
  startedBefore: boolean;
  ongoingAtEnd: boolean;
}

export interface AlertRow {
  alertname: string;
  severity: string | null;
  /** The alert's labels other than alertname, alertstate and severity. */
  labels: Record<string, string>;
  firingSeconds: number;
  episodes: AlertEpisode[];
}

export interface LatencyRow {
  transaction: string;
  /** null on the all-channels row. */
  channel: string | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  p99Seconds: number | null;
  thresholdSeconds: number | null;
  /** p95 above the transaction's latency threshold. */
  overThreshold: boolean | null;
  previousP95Seconds: number | null;
}

export interface PeakBucket {
  /** ISO 8601 UTC start of the peak hour (or minute). */
  start: string;
  count: number;
  perSecond: number;
}

export type TrendStatus = 'rising' | 'flat_or_falling' | 'at_or_over_capacity' | 'not_enough_data';

export interface Trend {
  /** Peak rate of each day (24-hour slices counted from the period start, both ways), per second. */
  dailyPeaks: Array<{ start: string; perSecond: number }>;
  slopePerDay: number | null;
  /** The fitted line's value at the last day with data. */
  fittedNowPerSecond: number | null;
  projectedIn4WeeksPerSecond: number | null;
  /** Weeks from the last day until the line reaches capacity; null when not rising or no capacity. */
  weeksToCapacity: number | null;
  status: TrendStatus;
}

export interface ChannelLoad {
  channel: string;
  total: number;
  previousTotal: number;
  /** (total − previous) ÷ previous. */
  totalChange: number | null;
  peak: PeakBucket | null;
  previousPeak: PeakBucket | null;
  peakChange: number | null;
  capacityPerSecond: number | null;
  headroomPerSecond: number | null;
  /** peak ÷ capacity. */
  utilisation: number | null;
  trend: Trend;
}

export interface Report {
  reportVersion: typeof REPORT_VERSION;
  generatedAt: string;
  prometheus: string;
  config: string | null;
  period: PeriodInfo;
  previousPeriod: PeriodInfo;
  /** What "load" counts: real transactions, or probe runs when no real events were reported. */
  loadBasis: Basis;
  notes: string[];
  success: {
    summary: SuccessSummary;
    /** When probes and real traffic are said to disagree. */
    disagreementMethod: string;
    /** One row per transaction, all channels together. */
    transactions: SuccessRow[];
    /** One row per transaction and channel. */
    rows: SuccessRow[];
  };
  /** Maintenance windows on in the period (the contract's maintenanceActive state). */
  planned: {
    method: string;
    windows: Array<{ window: string; channel: string | null; backend: string | null; seconds: number; intervals: Array<{ start: string; end: string }> }>;
  };
  failures: {
    real: ReasonRow[];
    probe: ReasonRow[];
    /** Failing probe steps, most failures first (at most STEP_ROWS). */
    steps: StepFailureRow[];
    /** Business failure codes of failing probe steps, most first (at most STEP_ROWS). */
    codes: BusinessCodeRow[];
    /** Business failure codes of failed real transactions (events with a `code`), most first (at most STEP_ROWS). */
    realCodes: BusinessCodeRow[];
    /** How steps and codes are counted. */
    stepsMethod: string;
  };
  alerts: { method: string; rows: AlertRow[] };
  latency: { source: string; rows: LatencyRow[] };
  load: {
    basis: Basis;
    bucketSeconds: number;
    channels: ChannelLoad[];
    /** Load per bucket over both periods: [unix seconds of the bucket start, count]. */
    series: Array<{ channel: string; points: Array<[number, number]> }>;
  };
  trend: { method: string };
}
