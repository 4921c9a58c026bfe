// Defaults live here, once, next to the schema; nothing else writes `?? 30`.
export const CONFIG_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:9470',
  location: 'local',
  sandbox: false,
  concurrency: 64,
  resultsRetained: 2000,
  publicUrl: 'http://grafana.example.invalid',
  interval: '30s',
  timeout: '10s',
  stepStatus: Object.freeze([200, 201, 202, 203, 204]),
  method: 'GET' as const,
  alerting: Object.freeze({
    sloWindow: '30d',
    hardDownConsecutive: 3,
    falseAlarmProbability: 1e-4,
    minimumFailures: 3,
    evidenceWindows: Object.freeze(['15m', '1h', '6h']),
    recoveryWindow: '5m',
    notReportingPeriods: 3,
    burnRate: Object.freeze({ minimumEvents: 100, minimumFailures: 3 }),
    latency: Object.freeze({ window: '30m', for: '5m', minimumRuns: 10 }),
    scrapeJob: 'channel-health',
    /** Receivers each severity goes to when `alerting.routes` does not say and a receiver of that name exists. */
    routes: Object.freeze({ page: 'oncall', warning: 'noc', ticket: 'review', watchdog: 'deadman' }),
    alertmanager: Object.freeze({ groupWait: '30s', groupInterval: '5m', repeatInterval: '4h', secretsDir: '/etc/alertmanager/secrets' }),
  }),
});
