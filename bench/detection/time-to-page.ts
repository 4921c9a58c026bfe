// Time to page (core) or warn (non-core) against the share of probe runs that fail, with the
// failures independent (never forced into a row), for the thresholds generated from a config. It
// replays the rules' arithmetic on simulated runs rather than running promtool: the rules are
// counts over sliding windows and runs in a row, so the simulation is exact up to sampling; the
// promtool cases in alerts/tests/failure-share.test.yml check the rules themselves.
// `node dist/bench/detection/time-to-page.js [--config FILE] [--trials N]` prints the table that
// docs/alerting.md ("Time to page") records.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { thresholdGroups } from '../../alerts/index.js';
import { loadConfigFile, type Config } from '../../config/index.js';
import { seededRandom } from './series.js';

export const SHARES = [1, 0.5, 0.2, 0.05, 0.01] as const;

export interface TimeToAlert {
  tier: string;
  share: number;
  /** Seconds from the first run of the fault to the alert, per quantile; null when fewer than that share of trials alerted within the horizon. */
  median: number | null;
  p90: number | null;
  /** Share of trials that alerted within the horizon. */
  alerted: number;
  /** Which rule alerted first most often; null when none did. */
  firstBy: 'hard down' | 'failure share' | null;
}

/**
 * Simulates `trials` faults at `share` on one check of `tier` (its period from the config's first
 * check of the tier) and returns when the first of the hard-down and failure-share rules fires.
 * Every run is an evaluation (scrape and evaluation delays add at most one interval each).
 */
export function timeToAlert(config: Config, tier: string, share: number, trials: number, horizonSeconds: number, seed: number, hardDownOnly = false): TimeToAlert {
  const check = config.checks.find((c) => c.tier === tier);
  const t = config.tiers.find((x) => x.id === tier);
  if (!check || !t) throw new Error(`no check of tier ${tier}`);
  const period = check.periodMs / 1000;
  const windows = thresholdGroups(config, 'impact')
    .filter((g) => g.tier === tier && g.periodMs === check.periodMs && g.threshold.failures !== null)
    .map((g) => ({ runs: Math.round(g.windowMs / check.periodMs), k: g.threshold.failures as number }))
    .filter(() => !hardDownOnly);
  const random = seededRandom(seed);
  const maxRuns = Math.floor(horizonSeconds / period);
  const times: number[] = [];
  let byHardDown = 0;
  for (let trial = 0; trial < trials; trial++) {
    const failedAt: number[] = [];
    let inRow = 0;
    for (let run = 1; run <= maxRuns; run++) {
      if (random() >= share) {
        inRow = 0;
        continue;
      }
      inRow++;
      failedAt.push(run);
      const hard = inRow >= t.hardDownConsecutive;
      // Failures within the window ending at this run: the last k failures fit in `runs` runs.
      const counted = windows.some((w) => failedAt.length >= w.k && run - (failedAt[failedAt.length - w.k] as number) < w.runs);
      if (hard || counted) {
        times.push(run * period);
        if (hard && !counted) byHardDown++;
        break;
      }
    }
  }
  times.sort((a, b) => a - b);
  const quantile = (q: number) => (times.length >= Math.ceil(q * trials) ? (times[Math.ceil(q * trials) - 1] as number) : null);
  return {
    tier,
    share,
    median: quantile(0.5),
    p90: quantile(0.9),
    alerted: times.length / trials,
    firstBy: times.length === 0 ? null : byHardDown * 2 > times.length ? 'hard down' : 'failure share',
  };
}

function human(seconds: number | null, horizon: number): string {
  if (seconds === null) return `> ${human(horizon, horizon)}`;
  if (seconds < 600) return `${seconds / 60 >= 1 ? `${Math.floor(seconds / 60)}m` : ''}${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 5 * 3600) return `${Math.round(seconds / 60)}m`;
  return `${Number((seconds / 3600).toFixed(1))}h`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, trials: { type: 'string' }, horizon: { type: 'string' } } });
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const config = await loadConfigFile(values.config ?? path.join(repo, 'channel-health.yaml'));
  const trials = Number(values.trials ?? 2000);
  const horizon = Number(values.horizon ?? 86_400);
  const within = human(horizon, horizon);
  console.log(`| tier | failure share | median | 90th percentile | alerted within ${within} | first rule | hard down alone: median | alerted within ${within} |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const tier of config.tiers) {
    for (const share of SHARES) {
      const r = timeToAlert(config, tier.id, share, trials, horizon, 20_261_125);
      const h = timeToAlert(config, tier.id, share, trials, horizon, 20_261_125, true);
      const pct = (x: number) => `${Math.round(x * 100)}%`;
      console.log(`| ${tier.id} | ${share * 100}% | ${human(r.median, horizon)} | ${human(r.p90, horizon)} | ${pct(r.alerted)} | ${r.firstBy ?? 'none'} | ${human(h.median, horizon)} | ${pct(h.alerted)} |`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
