// Thresholds and periods differ per check, but PromQL selects by label. These functions turn a set
// of (channel, transaction) pairs into the fewest selectors that match exactly that set.
import type { Check, Config } from '../config/index.js';
import { failureThreshold, type FailureThreshold } from './binomial.js';
import { matcher } from './promql-text.js';

export interface Pair {
  channel: string;
  transaction: string;
}

const key = (p: Pair) => `${p.channel}\u0000${p.transaction}`;

/**
 * Matcher lists (one per selector) that together match exactly `pairs` among the configured checks.
 * A whole tier becomes `tier="x"`, everything becomes no matcher at all.
 */
export function pairSelectors(pairs: readonly Pair[], config: Config): string[][] {
  const wanted = new Set(pairs.map(key));
  const all = config.checks;
  if (all.every((c) => wanted.has(key(c)))) return [[]];
  for (const tier of config.tiers) {
    const ofTier = all.filter((c) => c.tier === tier.id);
    if (ofTier.length === wanted.size && ofTier.every((c) => wanted.has(key(c)))) return [[`tier="${tier.id}"`]];
  }
  const byChannel = new Map<string, string[]>();
  for (const p of pairs) byChannel.set(p.channel, [...(byChannel.get(p.channel) ?? []), p.transaction]);
  const byTransactions = new Map<string, { channels: string[]; transactions: string[] }>();
  for (const [channel, txs] of byChannel) {
    const sorted = [...new Set(txs)].sort();
    const k = sorted.join('|');
    const entry = byTransactions.get(k) ?? { channels: [], transactions: sorted };
    entry.channels.push(channel);
    byTransactions.set(k, entry);
  }
  return [...byTransactions.values()]
    .map((g) => [matcher('channel', [...g.channels].sort()), matcher('transaction', g.transactions)])
    .sort((a, b) => a.join().localeCompare(b.join()));
}

export interface ThresholdGroup {
  windowMs: number;
  tier: string;
  /** The success ratio the counts are tested against: the tier's objective, or 1 - impactBurnRate × budget. */
  objective: number;
  periodMs: number;
  threshold: FailureThreshold;
  checks: readonly Check[];
}

/**
 * Failure thresholds for every evidence window, grouped by what they depend on (window, tier
 * objective, check period): checks in one group share one threshold and one selector set.
 * `against` says which hypothesis a count must be evidence against: the tier's objective (the
 * ProbeFailures warning), or a failure share of impactBurnRate times the budget (the failure-share
 * alert, docs/alerting.md "ChannelHealthFailureShareHigh").
 */
export function thresholdGroups(config: Config, against: 'objective' | 'impact' = 'objective'): ThresholdGroup[] {
  const { evidenceWindowsMs, falseAlarmProbability, minimumFailures } = config.alerting;
  const objectiveOf = new Map(config.tiers.map((t) => [t.id, against === 'objective' ? t.objective : 1 - t.impactBurnRate * (1 - t.objective)]));
  const groups: ThresholdGroup[] = [];
  for (const windowMs of evidenceWindowsMs) {
    const byKey = new Map<string, ThresholdGroup>();
    for (const check of config.checks) {
      const objective = objectiveOf.get(check.tier) as number;
      const k = `${check.tier}\u0000${check.periodMs}`;
      let group = byKey.get(k);
      if (!group) {
        group = {
          windowMs,
          tier: check.tier,
          objective,
          periodMs: check.periodMs,
          threshold: failureThreshold(objective, check.periodMs, windowMs, falseAlarmProbability, minimumFailures),
          checks: [],
        };
        byKey.set(k, group);
      }
      (group.checks as Check[]).push(check);
    }
    groups.push(...[...byKey.values()].sort((a, b) => a.tier.localeCompare(b.tier) || a.periodMs - b.periodMs));
  }
  return groups;
}

/** Checks grouped by period, for rules that compare ages with a multiple of it. */
export function periodGroups(config: Config): Array<{ periodMs: number; checks: readonly Check[] }> {
  const byPeriod = new Map<number, Check[]>();
  for (const c of config.checks) byPeriod.set(c.periodMs, [...(byPeriod.get(c.periodMs) ?? []), c]);
  return [...byPeriod.entries()].sort((a, b) => a[0] - b[0]).map(([periodMs, checks]) => ({ periodMs, checks }));
}

/**
 * Tiers grouped by hard-down severity (page for alerting.pageTiers, warning for the rest) and by
 * their run count (tiers.<id>.hardDownConsecutive): pages first, fewer runs first.
 */
export function hardDownGroups(config: Config): Array<{ severity: 'page' | 'warning'; tiers: string[]; n: number }> {
  const groups = new Map<string, { severity: 'page' | 'warning'; tiers: string[]; n: number }>();
  for (const t of config.tiers) {
    const severity = config.alerting.pageTiers.includes(t.id) ? 'page' : 'warning';
    const key = `${severity}/${t.hardDownConsecutive}`;
    const g = groups.get(key) ?? { severity, tiers: [], n: t.hardDownConsecutive };
    g.tiers.push(t.id);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => (a.severity === b.severity ? a.n - b.n : a.severity === 'page' ? -1 : 1));
}
