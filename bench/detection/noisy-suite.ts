// A promtool suite of days of seeded healthy-but-noisy data (probe failures at half the error
// budget, latency with a rare slow tail, real events at half the budget) on one check per channel,
// expecting no alert but the Watchdog at any evaluation. It runs against the generated alert rules
// and the recording rules they read (ourRuleFiles): promtool re-evaluates every rule at every
// 30 s step, and the dashboards' day-long ratios would make days of data take many minutes.
import { ALERT, toYaml } from '../../alerts/index.js';
import type { Config } from '../../config/index.js';
import { ourRuleFiles } from './rules.js';
import { healthyStep, STEP_SECONDS } from './scenarios.js';
import { binomialDraw, eventSeries, probeSeries, seededRandom, upSeries, type Check, type InputSeries } from './series.js';

export interface NoisySuite {
  /** The promtool test file; it names its rule files `recording.yml` and `alerting.yml` beside it. */
  suite: string;
  recording: string;
  alerting: string;
}

export function noisySuite(config: Config, days: number, seed: number): NoisySuite {
  const random = seededRandom(seed);
  const steps = Math.round((days * 86_400) / STEP_SECONDS) + 1;
  // One check per channel, cycling through the transactions, so both tiers and every backend appear.
  const checks: Check[] = config.channels.map((c, i) => {
    const t = config.transactions[(i * 2) % config.transactions.length] as Config['transactions'][number];
    return { channel: c.id, transaction: t.id, tier: t.tier };
  });
  const input: InputSeries[] = [upSeries(steps)];
  for (const check of checks) {
    const outcomes = Array.from({ length: steps }, () => healthyStep(config, check, random));
    input.push(...probeSeries(check, outcomes, STEP_SECONDS));
  }
  for (const check of checks.slice(0, 2)) {
    const budget = 1 - (config.tiers.find((t) => t.id === check.tier)?.objective ?? 0.99);
    const perStep = Array.from({ length: steps }, () => ({ events: 300, failures: binomialDraw(300, budget / 2, random) }));
    input.push(...eventSeries(check, perStep));
  }
  const end = `${days * 24}h`;
  const silent = Object.values(ALERT).filter((a) => a !== ALERT.watchdog);
  const rules = ourRuleFiles(config);
  const suite = toYaml({
    rule_files: ['recording.yml', 'alerting.yml'],
    evaluation_interval: `${STEP_SECONDS}s`,
    group_eval_order: ['channel-health-probes', 'channel-health-events', 'channel-health-synthetic', 'channel-health-burn-rate', 'channel-health-meta'],
    tests: [
      {
        name: `${days} days healthy but noisy (seed ${seed}): silent`,
        interval: `${STEP_SECONDS}s`,
        input_series: input,
        // Every evaluation of the period, not only the last one.
        promql_expr_test: [{ expr: `max_over_time(ALERTS{alertstate="firing", alertname!="${ALERT.watchdog}"}[${end}])`, eval_time: end, exp_samples: [] }],
        alert_rule_test: silent.map((alertname) => ({ eval_time: end, alertname })),
      },
    ],
  });
  return { suite, ...rules };
}
