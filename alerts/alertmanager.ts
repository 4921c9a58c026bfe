// The Alertmanager configuration: severity → receiver, grouping by backend and transaction, and the
// inhibitions that keep one incident to one notification. Secrets never enter the file: a webhook
// URL given as { env: NAME } becomes the placeholder ${NAME}, filled at deploy time (envsubst), since
// Alertmanager 0.25 has no url_file; a token becomes credentials_file, read by Alertmanager itself.
import path from 'node:path';
import type { Config, Receiver } from '../config/index.js';
import { ALERT } from './alert-rules.js';
import { AlertsError } from './errors.js';
import { maintenanceScopes, timeInterval, type AlertmanagerNamedInterval } from './maintenance.js';
import { promDuration } from './promql-text.js';

// Config receiver ids cannot contain '-', so this name never collides with one.
export const DISCARD_RECEIVER = 'channel-health-discard';

export interface AlertmanagerRoute {
  receiver: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  mute_time_intervals?: string[];
  routes?: AlertmanagerRoute[];
}

export interface AlertmanagerReceiver {
  name: string;
  webhook_configs?: Array<{
    url: string;
    send_resolved: boolean;
    max_alerts: number;
    http_config?: { authorization: { type: 'Bearer'; credentials_file: string } };
  }>;
}

export interface AlertmanagerConfig {
  route: AlertmanagerRoute;
  /** Maintenance windows (config `maintenance:`), muting the routes of the alerts they cover. */
  time_intervals?: AlertmanagerNamedInterval[];
  inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
  receivers: AlertmanagerReceiver[];
}

/** Environment variables the deployed alertmanager.yml needs substituted (the ${NAME} placeholders). */
export function alertmanagerPlaceholders(config: Config): string[] {
  return [...new Set(Object.values(config.receivers).flatMap((r) => (typeof r.url === 'object' && 'env' in r.url ? [r.url.env] : [])))].sort();
}

function webhook(config: Config, name: string, r: Receiver): NonNullable<AlertmanagerReceiver['webhook_configs']>[number] {
  let url: string;
  if (typeof r.url === 'string') url = r.url;
  else if ('env' in r.url) url = `\${${r.url.env}}`;
  else {
    throw new AlertsError(
      'CH_ALERTS_UNSUPPORTED_SECRET',
      `receivers.${name}.url`,
      'Alertmanager 0.25 cannot read a webhook URL from a file; give it as { env: NAME } (substituted when deploying) or as a plain URL with the secret in token',
    );
  }
  const out: NonNullable<AlertmanagerReceiver['webhook_configs']>[number] = { url, send_resolved: true, max_alerts: 0 };
  if (r.token) {
    const file = 'env' in r.token ? path.posix.join(config.alerting.alertmanager.secretsDir, r.token.env) : r.token.file;
    out.http_config = { authorization: { type: 'Bearer', credentials_file: file } };
  }
  return out;
}

export function generateAlertmanagerConfig(config: Config): AlertmanagerConfig {
  const { routes, alertmanager: am } = config.alerting;
  const to = (name: string | null) => name ?? DISCARD_RECEIVER;
  const used = new Set(Object.values(routes).map(to));
  const receivers: AlertmanagerReceiver[] = [...used]
    .sort()
    .map((name) => {
      const r = config.receivers[name];
      return r ? { name, webhook_configs: [webhook(config, name, r)] } : { name };
    });
  // Everything but the Watchdog, which must keep beating through any maintenance.
  const alertRoutes: AlertmanagerRoute[] = [
    // One page per backend outage, listing every channel and transaction it reaches.
    { receiver: to(routes.page), matchers: [`alertname="${ALERT.spreading}"`], group_by: ['alertname', 'backend'] },
    // A pair that fails hard shows both a hard down and a failure share far above its objective,
    // and the share stays proven a while after the hard down ends: one group per pair keeps
    // them one incident, which closes when both have resolved.
    {
      receiver: to(routes.warning),
      matchers: [`alertname=~"${ALERT.hardDown}|${ALERT.failureShare}"`],
      group_by: ['channel', 'transaction'],
      routes: [
        { receiver: to(routes.page), matchers: ['severity="page"'] },
        { receiver: to(routes.warning), matchers: ['severity="warning"'] },
      ],
    },
    { receiver: to(routes.page), matchers: ['severity="page"'] },
    { receiver: to(routes.warning), matchers: ['severity="warning"'] },
    { receiver: to(routes.ticket), matchers: ['severity="ticket"'], repeat_interval: '24h' },
  ];
  // Alerts a maintenance window covers go through the same routes, muted by their windows
  // (Alertmanager does not inherit mute_time_intervals, so every level carries them).
  const muted = (r: AlertmanagerRoute, intervals: string[]): AlertmanagerRoute => ({
    ...r,
    mute_time_intervals: intervals,
    ...(r.routes ? { routes: r.routes.map((c) => muted(c, intervals)) } : {}),
  });
  const maintenanceRoutes = maintenanceScopes(config).flatMap((scope) =>
    scope.matchers.map((m) => muted({ receiver: to(routes.warning), matchers: m, routes: alertRoutes }, scope.intervals)),
  );
  const intervals = config.maintenance.map((w) => timeInterval(w, config.service.utcOffsetMinutes));
  return {
    route: {
      // An alert without a known severity still reaches a person: the NOC's receiver.
      receiver: to(routes.warning),
      group_by: ['alertname', 'backend', 'transaction'],
      group_wait: promDuration(am.groupWaitMs),
      group_interval: promDuration(am.groupIntervalMs),
      repeat_interval: promDuration(am.repeatIntervalMs),
      routes: [
        // The dead man's switch wants a steady heartbeat, not grouping.
        { receiver: to(routes.watchdog), matchers: [`alertname="${ALERT.watchdog}"`], group_wait: '0s', group_interval: '1m', repeat_interval: '1m' },
        ...maintenanceRoutes,
        ...alertRoutes,
      ],
    },
    ...(intervals.length > 0 ? { time_intervals: intervals } : {}),
    inhibit_rules: [
      {
        // The spreading page explains the per-channel alerts of the same channel and transaction.
        source_matchers: [`alertname="${ALERT.spreading}"`],
        target_matchers: [`alertname=~"${ALERT.hardDown}|${ALERT.failureShare}|${ALERT.probeFailures}"`],
        equal: ['channel', 'transaction'],
      },
      {
        // A drop on every channel explains the drop on each.
        source_matchers: [`alertname="${ALERT.trafficDropEverywhere}"`],
        target_matchers: [`alertname="${ALERT.trafficDrop}"`],
        equal: ['transaction'],
      },
      {
        // A hard-down pair also burns budget; the hard-down alert already says so.
        source_matchers: [`alertname="${ALERT.hardDown}"`],
        target_matchers: [`alertname="${ALERT.burn}"`],
        equal: ['channel', 'transaction'],
      },
    ],
    receivers,
  };
}
