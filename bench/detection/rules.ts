// The two rule sets the detection bench compares: ours (generated from the config, trimmed to the
// recording rules the alerts read) and a baseline of plain SRE-workbook burn-rate rules applied to
// the synthetic probe data, the way a ratio-based SLO tool would treat probes.
import { METRICS } from '../../contract/metrics.js';
import { errorBudgetRatio } from '../../alerts/promql-text.js';
import { BURN_RATE_PAIRS, burnFactor, generateRules, toYaml, type RecordingRule, type RuleGroup } from '../../alerts/index.js';
import { formatPromDuration, type Config } from '../../config/index.js';

/** Recording rules the alerts need, directly or through other records; dashboards-only ratios are left out (promtool would evaluate them every step). */
export function ourRuleFiles(config: Config): { recording: string; alerting: string } {
  const { recording, alerting } = generateRules(config);
  const all = recording.flatMap((g) => g.rules);
  const needed = new Set<string>();
  const visit = (expr: string) => {
    for (const r of all) {
      if (!needed.has(r.record) && new RegExp(`\\b${r.record.replace(/[:.]/g, (c) => `\\${c}`)}\\b`).test(expr)) {
        needed.add(r.record);
        for (const same of all.filter((x) => x.record === r.record)) visit(same.expr);
      }
    }
  };
  for (const rule of alerting.flatMap((g) => g.rules)) visit(rule.expr);
  const trimmed: RuleGroup<RecordingRule>[] = recording
    .map((g) => ({ name: g.name, rules: g.rules.filter((r) => needed.has(r.record)) }))
    .filter((g) => g.rules.length > 0);
  return { recording: toYaml({ groups: trimmed }), alerting: toYaml({ groups: alerting }) };
}

/** Workbook multiwindow burn-rate alerts on probe success ratios: no minimum, no statistics. */
export function baselineRuleFile(config: Config): string {
  const windows = [...new Set(BURN_RATE_PAIRS.flatMap((p) => [p.longMs, p.shortMs]))].sort((a, b) => a - b);
  const ratio = (w: number) => `baseline:probe_error_ratio:rate${formatPromDuration(w)}`;
  const recording = windows.map((w) => ({
    record: ratio(w),
    expr: `sum by (channel, transaction, tier) (rate(${METRICS.probeFailures.name}[${formatPromDuration(w)}])) / sum by (channel, transaction, tier) (rate(${METRICS.probeRuns.name}[${formatPromDuration(w)}]))`,
  }));
  const alerts = BURN_RATE_PAIRS.flatMap((p) =>
    config.tiers.map((t) => {
      const limit = `${burnFactor(p, config.alerting.sloWindowMs)} * ${errorBudgetRatio(t.objective)}`;
      return {
        alert: 'BaselineBurnRate',
        expr: `${ratio(p.longMs)}{tier="${t.id}"} > ${limit} and ${ratio(p.shortMs)}{tier="${t.id}"} > ${limit}`,
        labels: { severity: p.severity, window: formatPromDuration(p.longMs), tier: t.id },
      };
    }),
  );
  return toYaml({
    groups: [
      { name: 'baseline-recording', rules: recording },
      { name: 'baseline-alerts', rules: alerts },
    ],
  });
}
