// Alerting rules. Each carries severity (page | warning | ticket), channel, transaction, tier and,
// where one is implicated, backend; annotations summary, description (with the measured value),
// runbook_url and dashboard_url. docs/alerting.md explains each one and its math.
import { METRICS, bucketSeries, countSeries } from '../contract/metrics.js';
import type { Config } from '../config/index.js';
import { upperNormalQuantile } from './binomial.js';
import { hardDownGroups, pairSelectors, thresholdGroups } from './check-groups.js';
import { DASHBOARD_UIDS, dashboardUrl, runbookUrl } from './links.js';
import { errorBudgetRatio, matcher, percent, probability, promDuration, promNumber, selector } from './promql-text.js';
import { backendTransactions, deltaWindows, or, record } from './recording-rules.js';
import { dropCondition } from './traffic.js';
import type { AlertingRule, RuleGroup } from './rule-types.js';

export const ALERT = {
  hardDown: 'ChannelHealthHardDown',
  probeFailures: 'ChannelHealthProbeFailures',
  failureShare: 'ChannelHealthFailureShareHigh',
  spreading: 'ChannelHealthBackendSpreading',
  latency: 'ChannelHealthLatencyHigh',
  burn: 'ChannelHealthErrorBudgetBurn',
  notReporting: 'ChannelHealthCheckNotReporting',
  runsSkipped: 'ChannelHealthProbeRunsSkipped',
  tlsExpiring: 'ChannelHealthTlsCertExpiring',
  targetDown: 'ChannelHealthTargetDown',
  reportMissing: 'ChannelHealthWeeklyReportMissing',
  trafficDrop: 'ChannelHealthTrafficDrop',
  trafficDropEverywhere: 'ChannelHealthTrafficDropEverywhere',
  watchdog: 'Watchdog',
} as const;

/** The workbook's multiwindow pairs for a 30-day SLO, as shares of the budget spent in the long window. */
export const BURN_RATE_PAIRS = [
  { longMs: 3_600_000, shortMs: 5 * 60_000, budgetShare: 0.02, severity: 'page' },
  { longMs: 6 * 3_600_000, shortMs: 30 * 60_000, budgetShare: 0.05, severity: 'page' },
  { longMs: 86_400_000, shortMs: 2 * 3_600_000, budgetShare: 0.1, severity: 'ticket' },
  { longMs: 3 * 86_400_000, shortMs: 6 * 3_600_000, budgetShare: 0.1, severity: 'ticket' },
] as const;

/** Burn-rate factor of a pair: the share of the SLO window's budget that burning this fast spends in the long window. */
export function burnFactor(pair: (typeof BURN_RATE_PAIRS)[number], sloWindowMs: number): number {
  return Number(((pair.budgetShare * sloWindowMs) / pair.longMs).toPrecision(12));
}

/** Runs over the latency threshold in the window before a p95 above it warns (docs/alerting.md). */
export const LATENCY_MINIMUM_SLOW_RUNS = 3;

/** The window whose failures keep a failure-share alert of window `windowMs` firing: the next shorter recorded one. */
export function recentWindow(config: Config, windowMs: number): number {
  const shorter = deltaWindows(config).filter((w) => w < windowMs);
  return shorter.length > 0 ? (shorter[shorter.length - 1] as number) : windowMs;
}

const ALL = { channel: 'all', transaction: 'all', tier: 'all' } as const;
const count = '{{ $value | printf "%.0f" }}';
const where = '{{ $labels.transaction }} on {{ $labels.channel }}';


/**
 * How long one firing of the scheduled report can take with all its retries: the waits (doubling
 * from report.retryBackoff), each try's queries (at most 16, each bounded by report.timeout), and
 * 10 minutes to spare; rounded up to whole minutes.
 */
export function reportRetrySpanMs(config: Config): number {
  const { attempts, retryBackoffMs, timeoutMs } = config.report;
  const waits = retryBackoffMs * (2 ** (attempts - 1) - 1);
  const tries = attempts * 16 * timeoutMs;
  return Math.ceil((waits + tries + 10 * 60_000) / 60_000) * 60_000;
}

export function generateAlertRules(config: Config): RuleGroup<AlertingRule>[] {
  const { alerting } = config;
  const detail = (labels: string[]) => dashboardUrl(config, DASHBOARD_UIDS.transaction, labels);
  const synthetic: AlertingRule[] = [];

  for (const { severity, tiers, n } of hardDownGroups(config)) {
    synthetic.push({
      alert: ALERT.hardDown,
      expr: `max by (channel, transaction, tier, location) (${METRICS.consecutiveFailures.name}{${matcher('tier', tiers)}}) >= ${n}`,
      labels: { severity },
      annotations: {
        summary: `${where} is hard down`,
        description: `${count} probe runs of ${where} from {{ $labels.location }} failed in a row (hard down from ${n}).`,
        runbook_url: runbookUrl(config, ALERT.hardDown),
        dashboard_url: detail(['transaction', 'channel', 'location']),
      },
    });
  }

  const groups = thresholdGroups(config);
  for (const g of groups) {
    const k = g.threshold.failures;
    if (k === null) continue;
    const w = promDuration(g.windowMs);
    const exprs = pairSelectors(g.checks, config).map((sel) => `${record.probeFailures(g.windowMs)}${selector(sel)} >= ${k}`);
    synthetic.push({
      alert: ALERT.probeFailures,
      expr: or(exprs),
      // tier (and the period, when a tier's checks differ in it) keeps each rule's label set unique.
      labels: {
        severity: 'warning',
        window: w,
        tier: g.tier,
        ...(groups.some((o) => o !== g && o.windowMs === g.windowMs && o.tier === g.tier) ? { check_period: promDuration(g.periodMs) } : {}),
      },
      annotations: {
        summary: `${where} fails more often than its objective allows`,
        description:
          `${count} of at most ${g.threshold.runs} probe runs of ${where} from {{ $labels.location }} failed within ${w}. ` +
          `At its objective (${percent(g.objective)}) a channel fails ${k} or more with probability ${probability(g.threshold.probabilityAtObjective as number)} ` +
          `(bound ${probability(alerting.falseAlarmProbability)}).`,
        runbook_url: runbookUrl(config, ALERT.probeFailures),
        dashboard_url: detail(['transaction', 'channel', 'location']),
      },
    });
  }

  // Severity follows impact: counts that prove a failure share far above the objective (the tier's
  // impactBurnRate times its budget) page for the page tiers, in a row or not.
  const impact = thresholdGroups(config, 'impact');
  for (const g of impact) {
    const k = g.threshold.failures;
    if (k === null) continue;
    const w = promDuration(g.windowMs);
    const tier = config.tiers.find((t) => t.id === g.tier) as Config['tiers'][number];
    const share = 1 - g.objective;
    // Still failing: a failure within the next shorter recorded window, so the page stops soon
    // after the failures do (the workbook's short window), not a whole window later.
    const recent = recentWindow(config, g.windowMs);
    const exprs = pairSelectors(g.checks, config).map((sel) => `${record.probeFailures(g.windowMs)}${selector(sel)} >= ${k}\nand ${record.probeFailures(recent)}${selector(sel)} > 0`);
    synthetic.push({
      alert: ALERT.failureShare,
      expr: or(exprs),
      labels: {
        severity: alerting.pageTiers.includes(g.tier) ? 'page' : 'warning',
        window: w,
        tier: g.tier,
        ...(impact.some((o) => o !== g && o.windowMs === g.windowMs && o.tier === g.tier) ? { check_period: promDuration(g.periodMs) } : {}),
      },
      annotations: {
        summary: `${where} fails far more often than its objective allows`,
        description:
          `${count} of at most ${g.threshold.runs} probe runs of ${where} from {{ $labels.location }} failed within ${w}, in a row or not. ` +
          `A channel failing ${percent(share)} of runs (${promNumber(tier.impactBurnRate)} times the ${percent(1 - tier.objective)} its ${percent(tier.objective)} objective allows) ` +
          `fails ${k} or more with probability ${probability(g.threshold.probabilityAtObjective as number)} (bound ${probability(alerting.falseAlarmProbability)}). ` +
          `Resolves ${promDuration(recent)} after the last failure.`,
        runbook_url: runbookUrl(config, ALERT.failureShare),
        dashboard_url: detail(['transaction', 'channel', 'location']),
      },
    });
  }

  // deltaWindows() records the recovery window too, so this reads a recorded series.
  const recovery = alerting.recoveryWindowMs;
  for (const b of backendTransactions(config)) {
    const tx = matcher('transaction', b.transactions);
    synthetic.push({
      alert: ALERT.spreading,
      expr: [
        `(${record.backendFailingChannels}{backend="${b.backend}"} >= 2)`,
        `* on () group_right ()`,
        `${record.evidence}{${tx}}`,
        `and on ()`,
        `(sum(${record.probeFailures(recovery)}{${tx}}) > 0)`,
      ].join('\n'),
      labels: { severity: 'page', backend: b.backend },
      annotations: {
        summary: `Failures spreading across channels: backend ${b.backend}`,
        description:
          `${count} channels fail transactions that use ${b.backend} (${[...b.transactions].sort().join(', ')}); ` +
          `${where} is one of them. Resolves after ${promDuration(recovery)} without a failed probe on these transactions.`,
        runbook_url: runbookUrl(config, ALERT.spreading),
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.overview),
      },
    });
  }

  const lw = promDuration(alerting.latency.windowMs);
  for (const t of config.transactions) {
    if (t.latencyThresholdMs === null) continue;
    const limit = promNumber(t.latencyThresholdMs / 1000);
    synthetic.push({
      alert: ALERT.latency,
      expr: [
        `(${record.probeDurationP95(alerting.latency.windowMs)}{transaction="${t.id}"} > ${limit})`,
        `and on (channel, transaction)`,
        `(sum by (channel, transaction) (increase(${countSeries(METRICS.probeDuration)}{transaction="${t.id}"}[${lw}])) >= ${alerting.latency.minimumRuns})`,
        // A p95 over a few dozen runs moves with one or two outliers; a slowdown shows in several.
        `and on (channel, transaction)`,
        `(sum by (channel, transaction) (increase(${countSeries(METRICS.probeDuration)}{transaction="${t.id}"}[${lw}]) - ignoring (le) increase(${bucketSeries(METRICS.probeDuration)}{transaction="${t.id}",le="${limit}"}[${lw}])) >= ${LATENCY_MINIMUM_SLOW_RUNS})`,
      ].join('\n'),
      for: promDuration(alerting.latency.forMs),
      labels: { severity: 'warning', transaction: t.id, tier: t.tier },
      annotations: {
        summary: `${where} is slowing down`,
        description: `p95 of ${where} probes is {{ $value | printf "%.2f" }}s over the last ${lw}, above its ${limit}s threshold.`,
        runbook_url: runbookUrl(config, ALERT.latency),
        dashboard_url: detail(['transaction', 'channel']),
      },
    });
  }

  const z = promNumber(Number(upperNormalQuantile(alerting.falseAlarmProbability).toFixed(3)));
  const burn: AlertingRule[] = BURN_RATE_PAIRS.map((p) => {
    const factor = promNumber(burnFactor(p, alerting.sloWindowMs));
    const long = promDuration(p.longMs);
    const short = promDuration(p.shortMs);
    const perTier = config.tiers.map((t) => {
      const sel = `{tier="${t.id}"}`;
      const budget = errorBudgetRatio(t.objective);
      const events = `${record.events(p.longMs)}${sel}`;
      return [
        `${record.eventBurnRate(p.longMs)}${sel} > ${factor}`,
        `and ${record.eventBurnRate(p.shortMs)}${sel} > ${factor}`,
        `and ${events} >= ${alerting.burnRate.minimumEvents}`,
        `and ${record.eventFailures(p.longMs)}${sel} >= ${alerting.burnRate.minimumFailures}`,
        // Evidence, as for probes: more failures than a pair at its objective would show with
        // probability above the bound (normal approximation of the Poisson tail).
        `and ${record.eventFailures(p.longMs)}${sel} >= ${budget} * ${events} + ${z} * sqrt(${budget} * ${events})`,
      ].join('\n');
    });
    return {
      alert: ALERT.burn,
      expr: or(perTier),
      labels: { severity: p.severity, window: long },
      annotations: {
        summary: `${where} is burning its error budget ${factor}x too fast`,
        description:
          `Real transactions of ${where} failed at {{ $value | printf "%.1f" }}x the rate the objective allows over ${long} (and over ${short}); ` +
          `at ${factor}x, ${percent(p.budgetShare)} of the ${promDuration(alerting.sloWindowMs)} budget goes in ${long}.`,
        runbook_url: runbookUrl(config, ALERT.burn),
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.budget, ['transaction', 'channel']),
      },
    };
  });

  // Silent failures: fewer real transactions than the same hour of previous weeks (alerts/traffic.ts).
  const { share, minimumExpected } = alerting.trafficDrop;
  const expectedOfPair =
    '{{ with printf `' + record.eventsExpected + '{channel="%s",transaction="%s"}` $labels.channel $labels.transaction | query }}{{ . | first | value | printf "%.0f" }}{{ end }}';
  burn.push({
    alert: ALERT.trafficDrop,
    expr: dropCondition(config),
    labels: { severity: 'warning' },
    annotations: {
      summary: `Real ${where} transactions dropped below ${percent(share)} of the usual`,
      description:
        `${count} real transactions of ${where} in the last hour; ${expectedOfPair} expected (the same hour of the week over previous weeks, holidays left out). ` +
        `Below ${percent(share)} of that: customers may not reach the channel. Judged when at least ${minimumExpected} are expected.`,
      runbook_url: runbookUrl(config, ALERT.trafficDrop),
      dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.capacity),
    },
  });
  for (const tier of config.tiers.filter((t) => alerting.pageTiers.includes(t.id))) {
    const t = `tier="${tier.id}"`;
    const judged = `count by (transaction, tier) (${record.eventsExpected}{${t}} >= ${minimumExpected})`;
    burn.push({
      alert: ALERT.trafficDropEverywhere,
      expr: [`count by (transaction, tier) (
${dropCondition(config, t)}
)`, `== on (transaction, tier) ${judged}`, `and on (transaction, tier) ${judged} >= 2`].join('\n'),
      // tier keeps one rule per page tier distinct (promtool refuses duplicate rules).
      labels: { severity: 'page', channel: 'all', tier: tier.id },
      annotations: {
        summary: `Real {{ $labels.transaction }} transactions dropped on every channel`,
        description:
          `All {{ $value | printf "%.0f" }} channels with enough traffic carry under ${percent(share)} of the {{ $labels.transaction }} transactions of the same hour in previous weeks: ` +
          `customers cannot complete it anywhere, and nothing fails, so no failure alert speaks.`,
        runbook_url: runbookUrl(config, ALERT.trafficDropEverywhere),
        // The capacity dashboard has no transaction variable: it shows every transaction's volume.
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.capacity),
      },
    });
  }

  const job = alerting.scrapeJob;
  const meta: AlertingRule[] = [
    {
      alert: ALERT.notReporting,
      expr: [
        `(time() - max by (channel, transaction, location) (${METRICS.lastRun.name}))`,
        `> on (channel, transaction) group_left (tier)`,
        `(${alerting.notReportingPeriods} * ${record.checkPeriod})`,
        // An open circuit breaker runs only every k-th firing (up to maxBackoff periods apart) on
        // purpose; the check is hard down and already alerting, so its silence is not news.
        `unless on (channel, transaction, location) (max by (channel, transaction, location) (${METRICS.breakerOpen.name}) == 1)`,
      ].join('\n'),
      labels: { severity: 'warning' },
      annotations: {
        summary: `${where} has stopped reporting`,
        description: `No run of ${where} from {{ $labels.location }} has finished for ${count}s, more than ${alerting.notReportingPeriods} check periods.`,
        runbook_url: runbookUrl(config, ALERT.notReporting),
        dashboard_url: detail(['transaction', 'channel', 'location']),
      },
    },
    {
      alert: ALERT.runsSkipped,
      // Runs that found no free test account are not failures (docs/safety.md), so no probe alert
      // sees them; the check is blind meanwhile. A skip at least every 5 minutes for 10 minutes:
      // a single one in a burst of load is not news.
      expr: `sum by (channel, transaction, tier, location, reason) (increase(${METRICS.probeSkipped.name}[5m])) > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `Runs of ${where} are being skipped ({{ $labels.reason }})`,
        description: `${count} runs of ${where} from {{ $labels.location }} in the last 5m did not probe ({{ $labels.reason }}): the probe's test accounts are all leased or held by unfinished money-moving runs, and the check is blind meanwhile.`,
        runbook_url: runbookUrl(config, ALERT.runsSkipped),
        dashboard_url: detail(['transaction', 'channel', 'location']),
      },
    },
    {
      alert: ALERT.targetDown,
      // absent(): a job missing from the Prometheus config is as blind as a target that is down.
      expr: `(up{job="${job}"} == 0) or absent(up{job="${job}"})`,
      for: '5m',
      labels: { severity: 'page', ...ALL },
      annotations: {
        summary: 'channel-health cannot be scraped',
        description: `Prometheus has not scraped {{ with $labels.instance }}{{ . }}{{ else }}any target{{ end }} in job ${job} for 5m: probes, real events and the alerts on them are blind.`,
        runbook_url: runbookUrl(config, ALERT.targetDown),
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.overview),
      },
    },
    {
      alert: ALERT.reportMissing,
      // Series exist only where report.prometheus is set; elsewhere the comparison is empty.
      expr: `${METRICS.reportLastSuccess.name} < ${METRICS.reportDue.name}`,
      // Long enough for every retry of one firing (backoff doubling from report.retryBackoff) and their queries.
      for: promDuration(reportRetrySpanMs(config)),
      labels: { severity: 'warning', ...ALL },
      annotations: {
        summary: 'The weekly report has not been made',
        description:
          'The scheduled weekly report fell due {{ with $labels.instance }}on {{ . }} {{ end }}and has not been written since (report.schedule); ' +
          'the capacity review has nothing to read. The log says why (Prometheus unreachable, no data, folder not writable).',
        runbook_url: runbookUrl(config, ALERT.reportMissing),
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.overview),
      },
    },
    {
      alert: ALERT.watchdog,
      expr: 'vector(1)',
      labels: { severity: 'warning', ...ALL },
      annotations: {
        summary: 'The alerting pipeline is alive',
        description: 'Always firing. Routed to a dead man\'s switch outside this stack, which raises the alarm when it stops arriving.',
        runbook_url: runbookUrl(config, ALERT.watchdog),
        dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.overview),
      },
    },
  ];

  // The certificate an https channel presents, read at each new connection a probe makes (as
  // blackbox's probe_ssl_earliest_cert_expiry). No `for`: the date does not flap, and the warning
  // is about days. An expired one keeps firing beside the probe failures (reason tls) it causes.
  const warnDays = alerting.tlsExpiryWarningDays;
  synthetic.push({
    alert: ALERT.tlsExpiring,
    expr: `min by (channel, origin) (${METRICS.tlsCertExpiry.name}) - time() < ${promNumber(warnDays * 86_400)}`,
    labels: { severity: 'warning', transaction: 'all', tier: 'all' },
    annotations: {
      summary: 'The TLS certificate of {{ $labels.origin }} ({{ $labels.channel }}) expires {{ if lt $value 0.0 }}(it has expired){{ else }}within ' + `${promNumber(warnDays)} days{{ end }}`,
      description:
        'The earliest certificate in the chain {{ $labels.origin }} presents to the {{ $labels.channel }} probes expires in {{ $value | humanizeDuration }} ' +
        `(warned ${promNumber(warnDays)} days ahead, alerting.tlsExpiryWarningDays). Once it expires every probe of the channel fails with reason tls, and so do customers' browsers and apps.`,
      runbook_url: runbookUrl(config, ALERT.tlsExpiring),
      dashboard_url: dashboardUrl(config, DASHBOARD_UIDS.overview),
    },
  });

  return [
    { name: 'channel-health-synthetic', rules: synthetic },
    { name: 'channel-health-burn-rate', rules: burn },
    { name: 'channel-health-meta', rules: meta },
  ];
}
