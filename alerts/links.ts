// Where an alert sends the person who gets it: the runbook section named like the alert, and the
// Grafana dashboard (stable uids owned by dashboards/) filtered to the alert's own labels.
import type { Config } from '../config/index.js';

export const DASHBOARD_UIDS = {
  overview: 'ch-noc-overview',
  transaction: 'ch-transaction-detail',
  budget: 'ch-slo-budget',
  capacity: 'ch-weekly-capacity',
} as const;

/** docs/alerting.md has one heading per alert, named exactly like it; this is its anchor. */
export function runbookUrl(config: Config, alertName: string): string {
  return `${config.alerting.runbookUrl}#${alertName.toLowerCase()}`;
}

/** Dashboard link with `var-<label>={{ $labels.<label> }}` for each label the alert carries. */
export function dashboardUrl(config: Config, uid: string, labels: readonly string[] = []): string {
  const vars = labels.map((l) => `var-${l}={{ $labels.${l} }}`).join('&');
  return `${config.service.publicUrl}/d/${uid}${vars ? `?${vars}` : ''}`;
}
