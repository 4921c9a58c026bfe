// The dashboards as files: a pure function of the config, written by `channel-health generate`.
// Same config in, same bytes out: no clock, no ids that change, keys sorted.
import type { Config } from '../config/index.js';
import { stableJson } from './dashboard.js';
import { nocOverview } from './noc-overview.js';
import { sloBudget } from './slo-budget.js';
import { transactionDetail } from './transaction-detail.js';
import { weeklyCapacity } from './weekly-capacity.js';

/** Where the generated JSON lives, relative to the repository (and to the Grafana provider's path). */
export const GENERATED_DIR = 'dashboards/generated';

/** One entry per dashboard: file name (without `.json`) and its builder. */
export const DASHBOARDS = Object.freeze([
  { file: 'noc-overview', build: nocOverview },
  { file: 'transaction-detail', build: transactionDetail },
  { file: 'slo-budget', build: sloBudget },
  { file: 'weekly-capacity', build: weeklyCapacity },
] as const);

export function generateDashboards(config: Config): Array<{ path: string; content: string }> {
  return DASHBOARDS.map(({ file, build }) => ({ path: `${GENERATED_DIR}/${file}.json`, content: stableJson(build(config)) }));
}
