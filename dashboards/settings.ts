// What the dashboards take from the config's `alerting` section: the windows that are part of the
// recording-rule names (alerts/README.md), so a panel asks for exactly the series the rules record,
// and the alerting thresholds a panel colours by, so the wall and the pager agree.
import { formatPromDuration, tiersByHardDownRuns, type Config } from '../config/index.js';

/** Windows of the `rate<W>` recording rules (alerts/README.md); fixed by the alerting design. */
export const RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];

/**
 * Burn-rate factors of the SRE workbook's multiwindow alerts for a 30-day SLO (the pairs alerts/
 * uses: 5m/1h at 14.4, 30m/6h at 6, 2h/1d at 3, 3d at 1). A burn-rate cell turns red at its
 * window's factor and amber from 1, the rate at which the budget lasts exactly the SLO window.
 */
export const BURN_FACTOR: Readonly<Record<RateWindow, number>> = Object.freeze({ '5m': 14.4, '1h': 14.4, '30m': 6, '6h': 6, '2h': 3, '1d': 3, '3d': 1 });

/** Channels failing at once from which a backend's trouble counts as spreading (issue 4's definition). */
export const SPREADING_CHANNELS = 2;

export interface DashboardSettings {
  /** `S` in RECORD.probeBudgetRemaining and RECORD.eventBudgetRemaining. */
  sloWindow: string;
  /** `E` in RECORD.probeFailures. */
  evidenceWindows: readonly string[];
  /** `L` in RECORD.probeDurationP95. */
  latencyWindow: string;
  /** Fewest consecutive failed runs that make a (channel, transaction) of any tier hard down (colours turn red from it). */
  hardDownRuns: number;
  /** Runs that make each tier hard down; `tiers` null when all tiers share one count. */
  hardDownByTier: Array<{ tiers: string[] | null; n: number }>;
  /** Tiers whose hard-down pages: the "core" transactions of the NOC wall. */
  pageTiers: readonly string[];
  /**
   * Smallest step for probe-ratio charts: four runs of the slowest check, so a point is a ratio over
   * several runs and not a single pass/fail.
   */
  probeStep: string;
}

export function dashboardSettings(config: Config): DashboardSettings {
  const a = config.alerting;
  const slowest = Math.max(1000, ...config.checks.map((c) => c.periodMs));
  return {
    sloWindow: formatPromDuration(a.sloWindowMs),
    evidenceWindows: a.evidenceWindowsMs.map(formatPromDuration),
    latencyWindow: formatPromDuration(a.latency.windowMs),
    hardDownRuns: Math.min(...config.tiers.map((t) => t.hardDownConsecutive)),
    hardDownByTier: tiersByHardDownRuns(config.tiers),
    pageTiers: a.pageTiers,
    probeStep: formatPromDuration(Math.ceil((4 * slowest) / 1000) * 1000),
  };
}
