// Tiers may need different runs in a row before they count as hard down (tiers.<id>.hardDownConsecutive);
// rules and dashboards select by tier, so both group the tiers by that count the same way.
import type { Tier } from './types.js';

/** Tiers by hard-down run count, fewer runs first; `tiers` is null when every tier has the same count. */
export function tiersByHardDownRuns(tiers: readonly Tier[]): Array<{ tiers: string[] | null; n: number }> {
  const byN = new Map<number, string[]>();
  for (const t of tiers) byN.set(t.hardDownConsecutive, [...(byN.get(t.hardDownConsecutive) ?? []), t.id]);
  if (byN.size === 1) return [{ tiers: null, n: [...byN.keys()][0] as number }];
  return [...byN.entries()].sort(([a], [b]) => a - b).map(([n, ids]) => ({ tiers: ids, n }));
}
