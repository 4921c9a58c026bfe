// What the four dashboards share: stable uids and links between them, the datasource variable, the
// shell (tags, time, refresh) and the last step that makes the JSON byte-for-byte reproducible.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE_VARIABLE } from './panels.js';

/** Stable uids: alert annotations, runbooks and bookmarks link to them (docs/dashboards.md). */
export const DASHBOARD_UID = Object.freeze({
  nocOverview: 'ch-noc-overview',
  transactionDetail: 'ch-transaction-detail',
  sloBudget: 'ch-slo-budget',
  weeklyCapacity: 'ch-weekly-capacity',
});

/** Tag every dashboard carries; the dashboards' link dropdown lists the dashboards with it. */
export const DASHBOARD_TAG = 'channel-health';

/** Datasource uid of the provisioning example; the variable starts on it and falls back to the default. */
export const DEFAULT_DATASOURCE_UID = 'channel-health-prometheus';

/**
 * Path (under Grafana's root URL) of a dashboard with its variables filled in, e.g.
 * `/d/ch-transaction-detail?var-transaction=topup&var-channel=web`. Values are URL-encoded; Grafana
 * template expressions such as `${__data.fields.channel}` are left as they are for Grafana to expand.
 */
export function dashboardPath(uid: string, vars: Readonly<Record<string, string>> = {}, extra: readonly string[] = []): string {
  const encode = (v: string) => (v.includes('${') ? v : encodeURIComponent(v));
  const params = [...Object.entries(vars).map(([k, v]) => `var-${encodeURIComponent(k)}=${encode(v)}`), ...extra];
  return `/d/${uid}${params.length ? `?${params.join('&')}` : ''}`;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** Auto-refresh period; none for review dashboards that are read, not watched. */
  refresh?: string;
  from: string;
  variables?: cog.Builder<dashboard.VariableModel>[];
  annotations?: dashboard.AnnotationQueryBuilder[];
}

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Prometheus')
    .type('prometheus')
    .current({ selected: true, text: DEFAULT_DATASOURCE_UID, value: DEFAULT_DATASOURCE_UID });
}

export function newDashboard(spec: DashboardSpec): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG])
    .editable()
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: spec.from, to: 'now' })
    .link(new dashboard.DashboardLinkBuilder('Channel health').type(dashboard.DashboardLinkType.Dashboards).tags([DASHBOARD_TAG]).asDropdown(true).keepTime(true).includeVars(false).targetBlank(false).icon('external link').tooltip(''))
    .withVariable(datasourceVariable());
  if (spec.refresh !== undefined) builder.refresh(spec.refresh);
  for (const v of spec.variables ?? []) builder.withVariable(v);
  for (const a of spec.annotations ?? []) builder.annotation(a);
  return builder;
}

/** A section heading across the full width. */
export function section(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).collapsed(false);
}

/**
 * The JSON Grafana loads: panel ids numbered in layout order (Grafana would otherwise pick them at
 * load time), empty lists where Grafana expects lists, keys sorted at every level so the text does
 * not depend on the order in which builders set fields.
 */
export function finishDashboard(builder: dashboard.DashboardBuilder): dashboard.Dashboard {
  const built = builder.build();
  let id = 0;
  for (const panel of built.panels ?? []) {
    panel.id = ++id;
    if (panel.type === 'row') for (const inner of (panel as dashboard.RowPanel).panels) inner.id = ++id;
  }
  // The SDK files links under Grafana 12's controls menu; left out, every Grafana shows them in the top bar.
  for (const link of built.links ?? []) delete link.placement;
  for (const annotation of built.annotations.list ?? []) delete annotation.placement;
  built.templating = { list: built.templating.list ?? [] };
  built.annotations = { list: built.annotations.list ?? [] };
  return built;
}

export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      // Functions (the SDK's type markers) and undefined never reach JSON; dropping them here keeps the key list honest.
      if (typeof v !== 'function' && v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
