// Defaults live here, once, next to the schema; nothing else writes `?? 30`.
export const CONFIG_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:9470',
  location: 'local',
  sandbox: false,
  concurrency: 64,
  resultsRetained: 2000,
  // An HA pair of Prometheus needs 2 places; the rest is room for people debugging with curl. The
  // wait stays under Prometheus's default 10 s scrape timeout, so a refusal arrives as a 503.
  scrape: Object.freeze({ concurrent: 8, queued: 32, queueTimeout: '5s' }),
  publicUrl: 'http://grafana.example.invalid',
  interval: '30s',
  timeout: '10s',
  // The series budget (docs/metrics.md): per-step histograms and zero failure counters only where asked for.
  metricsDetail: 'standard' as const,
  stepStatus: Object.freeze([200, 201, 202, 203, 204]),
  method: 'GET' as const,
  alerting: Object.freeze({
    sloWindow: '30d',
    hardDownConsecutive: 3,
    falseAlarmProbability: 1e-4,
    minimumFailures: 3,
    // The SRE workbook's fast-burn page factor: 2% of a 30-day budget spent in one hour.
    impactBurnRate: 14.4,
    evidenceWindows: Object.freeze(['15m', '1h', '6h']),
    recoveryWindow: '5m',
    notReportingPeriods: 3,
    burnRate: Object.freeze({ minimumEvents: 100, minimumFailures: 3 }),
    // 20: below it a p95 is the slowest run, so one outlier of a healthy tail would warn.
    latency: Object.freeze({ window: '1h', for: '5m', minimumRuns: 20 }),
    // A pair's real transactions in the last hour below half the same hour's mean over up to 4
    // previous weeks, when that mean is at least 100: at 100 expected, 50 or fewer by chance is 1e-7.
    trafficDrop: Object.freeze({ share: 0.5, minimumExpected: 100, weeks: 4 }),
    scrapeJob: 'channel-health',
    // A certificate renewal is a change request with lead time; three weeks leaves room for one.
    tlsExpiryWarningDays: 21,
    /** Receivers each severity goes to when `alerting.routes` does not say and a receiver of that name exists. */
    routes: Object.freeze({ page: 'oncall', warning: 'noc', ticket: 'review', watchdog: 'deadman' }),
    alertmanager: Object.freeze({ groupWait: '30s', groupInterval: '5m', repeatInterval: '4h', secretsDir: '/etc/alertmanager/secrets' }),
  }),
  journal: Object.freeze({ path: '.channel-health/journal.sqlite', reconcileInterval: '1m', maxAttempts: 5 }),
  breaker: Object.freeze({ openAfter: 5, maxBackoff: 8 }),
  /** The http transport's certificate checks (channels.<id>.tls). */
  tls: Object.freeze({ insecureSkipVerify: false }),
  /** The smpp transport's bind (channels.<id>.smpp). */
  smpp: Object.freeze({ systemType: '', addressTon: 1, addressNpi: 1, enquireLink: '30s', window: 10, rebindMax: '30s' }),
  /** The sip transport (channels.<id>.sip): trunk lines when the channel has no rate cap. */
  sip: Object.freeze({ trunkLines: 4 }),
  ingest: Object.freeze({ maxBatch: 1000, maxBodyBytes: 1024 * 1024, stateDir: '.channel-health/collector', dedupeWindow: '7d' }),
  agent: Object.freeze({ listen: '127.0.0.1:9472', spoolDir: '.channel-health/agent', batchSize: 200, maxBackoff: '30s' }),
  // Monday 09:00 on the business clock: the review meets on Monday about the week just ended.
  report: Object.freeze({ schedule: '0 9 * * 1', folder: '.channel-health/reports', retain: 12, attempts: 5, retryBackoff: '1m', timeout: '30s' }),
});

/**
 * A default as the schema's descriptions show it, e.g. `3 by default`, `15m, 1h, 6h by default`:
 * the descriptions interpolate CONFIG_DEFAULTS through this, so docs/config.md cannot drift from it.
 */
export function byDefault(value: unknown): string {
  return `${shownDefault(value)} by default`;
}

export function shownDefault(value: unknown): string {
  if (Array.isArray(value)) return value.map(shownDefault).join(', ');
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 0.001) return value.toExponential();
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}→${shownDefault(v)}`).join(', ');
  return String(value);
}
