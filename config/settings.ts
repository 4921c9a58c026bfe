// Service-wide settings with their defaults applied: the listen address, the business clock,
// alerting, the collector's ingest door and the agent. Durations Prometheus and Alertmanager
// read must be whole seconds, checked here once.
import path from 'node:path';
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';
import type { RawConfig } from './schema.js';
import type { AgentSettings, AlertingSettings, IngestSettings, ReportScheduleSettings } from './types.js';
import { parsePlainCron } from './schedule.js';
import { parseUtcOffset } from './utc-offset.js';
import { checkAbsoluteUrl } from './value-checks.js';

export function normalizeIngest(raw: RawConfig, location: string, baseDir: string, problems: ConfigProblem[]): IngestSettings {
  const i = raw.ingest ?? {};
  const d = CONFIG_DEFAULTS.ingest;
  const allowed = i.allowedLocations ?? [location];
  if (new Set(allowed).size !== allowed.length) problems.push({ path: 'ingest.allowedLocations', message: 'lists a location twice' });
  return {
    token: i.token ?? null,
    allowedLocations: [...new Set(allowed)].sort(),
    maxBatch: i.maxBatch ?? d.maxBatch,
    maxBodyBytes: i.maxBodyBytes ?? d.maxBodyBytes,
    stateDir: path.resolve(baseDir, i.stateDir ?? d.stateDir),
    dedupeWindowMs: wholeSeconds(i.dedupeWindow ?? d.dedupeWindow, 'ingest.dedupeWindow', 60_000, problems),
  };
}

export function normalizeAgent(raw: RawConfig, baseDir: string, problems: ConfigProblem[]): AgentSettings {
  const a = raw.agent ?? {};
  const d = CONFIG_DEFAULTS.agent;
  const collectors = (a.collectors ?? []).map((url, n) => {
    checkAbsoluteUrl(url, `agent.collectors[${n}]`, problems);
    if (/^[a-z]+:\/\/[^/]*@/i.test(url)) problems.push({ path: `agent.collectors[${n}]`, message: 'must not carry credentials; give the token as agent.token (a secret reference)' });
    return url.replace(/\/+$/, '');
  });
  if (new Set(collectors).size !== collectors.length) problems.push({ path: 'agent.collectors', message: 'lists a collector twice' });
  const listen = parseListen(a.listen ?? d.listen);
  if (!listen) problems.push({ path: 'agent.listen', message: 'must be HOST:PORT with a port from 0 to 65535' });
  return {
    collectors,
    token: a.token ?? null,
    listen: listen ?? { host: '127.0.0.1', port: 0 },
    spoolDir: path.resolve(baseDir, a.spoolDir ?? d.spoolDir),
    batchSize: a.batchSize ?? d.batchSize,
    maxBackoffMs: wholeSeconds(a.maxBackoff ?? d.maxBackoff, 'agent.maxBackoff', 1000, problems),
  };
}

export function normalizeReportSchedule(raw: RawConfig, baseDir: string, problems: ConfigProblem[]): ReportScheduleSettings {
  const r = raw.report ?? {};
  const d = CONFIG_DEFAULTS.report;
  let prometheus: string | null = null;
  if (r.prometheus !== undefined) {
    if (!/^https?:\/\//i.test(r.prometheus)) problems.push({ path: 'report.prometheus', message: 'must be an http:// or https:// URL' });
    else if (/^[a-z]+:\/\/[^/]*@/i.test(r.prometheus)) problems.push({ path: 'report.prometheus', message: 'must not carry credentials' });
    else checkAbsoluteUrl(r.prometheus, 'report.prometheus', problems);
    prometheus = r.prometheus.replace(/\/+$/, '');
  }
  const schedule = r.schedule ?? d.schedule;
  const parsed = parsePlainCron(schedule);
  if ('problem' in parsed) problems.push({ path: 'report.schedule', message: parsed.problem });
  const retryBackoffMs = parseDuration(r.retryBackoff ?? d.retryBackoff);
  if (retryBackoffMs < 10) problems.push({ path: 'report.retryBackoff', message: 'must be at least 10ms' });
  const timeoutMs = parseDuration(r.timeout ?? d.timeout);
  if (timeoutMs < 100 || timeoutMs > 600_000) problems.push({ path: 'report.timeout', message: 'must be between 100ms and 10m' });
  return {
    prometheus,
    schedule,
    folder: path.resolve(baseDir, r.folder ?? d.folder),
    retain: r.retain ?? d.retain,
    attempts: r.attempts ?? d.attempts,
    retryBackoffMs,
    timeoutMs,
  };
}

export function normalizeAlerting(raw: RawConfig, publicUrl: string, problems: ConfigProblem[]): AlertingSettings {
  const a = raw.alerting ?? {};
  const d = CONFIG_DEFAULTS.alerting;
  const windows = (a.evidenceWindows ?? d.evidenceWindows).map(parseDuration);
  windows.forEach((ms, i) => {
    if (ms < 10_000 || ms % 1000 !== 0) problems.push({ path: `alerting.evidenceWindows[${i}]`, message: 'must be whole seconds and at least 10s' });
  });
  if (new Set(windows).size !== windows.length) problems.push({ path: 'alerting.evidenceWindows', message: 'lists a window twice' });
  const runbookUrl = a.runbookUrl ?? `${publicUrl}/docs/alerting.md`;
  checkAbsoluteUrl(runbookUrl, a.runbookUrl ? 'alerting.runbookUrl' : 'service.publicUrl', problems);
  const receivers = raw.receivers ?? {};
  const routes = {} as Record<keyof typeof d.routes, string | null>;
  for (const severity of Object.keys(d.routes) as (keyof typeof d.routes)[]) {
    const named = a.routes?.[severity];
    if (named !== undefined && !receivers[named]) {
      problems.push({ path: `alerting.routes.${severity}`, message: `unknown receiver "${named}" (known: ${Object.keys(receivers).join(', ') || 'none'})` });
    }
    const fallback = d.routes[severity];
    routes[severity] = named ?? (receivers[fallback] ? fallback : null);
  }
  (a.pageTiers ?? []).forEach((t, i) => {
    if (!raw.tiers[t]) problems.push({ path: `alerting.pageTiers[${i}]`, message: `unknown tier "${t}" (known: ${Object.keys(raw.tiers).join(', ')})` });
  });
  const highest = Math.max(...Object.values(raw.tiers).map((t) => t.objective));
  const pageTiers = a.pageTiers ?? Object.entries(raw.tiers).filter(([, t]) => t.objective === highest).map(([id]) => id);
  const am = a.alertmanager ?? {};
  const latencyWindowMs = parseDuration(a.latency?.window ?? d.latency.window);
  if (latencyWindowMs < 10_000 || latencyWindowMs % 1000 !== 0) problems.push({ path: 'alerting.latency.window', message: 'must be whole seconds and at least 10s' });
  return {
    sloWindowMs: wholeSeconds(a.sloWindow ?? d.sloWindow, 'alerting.sloWindow', 86_400_000, problems),
    hardDownConsecutive: a.hardDownConsecutive ?? d.hardDownConsecutive,
    falseAlarmProbability: a.falseAlarmProbability ?? d.falseAlarmProbability,
    minimumFailures: a.minimumFailures ?? d.minimumFailures,
    evidenceWindowsMs: [...new Set(windows)].sort((x, y) => x - y),
    pageTiers: [...new Set(pageTiers)],
    recoveryWindowMs: wholeSeconds(a.recoveryWindow ?? d.recoveryWindow, 'alerting.recoveryWindow', 10_000, problems),
    notReportingPeriods: a.notReportingPeriods ?? d.notReportingPeriods,
    burnRate: {
      minimumEvents: a.burnRate?.minimumEvents ?? d.burnRate.minimumEvents,
      minimumFailures: a.burnRate?.minimumFailures ?? d.burnRate.minimumFailures,
    },
    trafficDrop: {
      share: a.trafficDrop?.share ?? d.trafficDrop.share,
      minimumExpected: a.trafficDrop?.minimumExpected ?? d.trafficDrop.minimumExpected,
      weeks: a.trafficDrop?.weeks ?? d.trafficDrop.weeks,
    },
    holidays: holidays(a.holidays ?? [], problems),
    latency: {
      windowMs: latencyWindowMs,
      forMs: wholeSeconds(a.latency?.for ?? d.latency.for, 'alerting.latency.for', 0, problems),
      minimumRuns: a.latency?.minimumRuns ?? d.latency.minimumRuns,
    },
    scrapeJob: a.scrapeJob ?? d.scrapeJob,
    tlsExpiryWarningDays: a.tlsExpiryWarningDays ?? d.tlsExpiryWarningDays,
    escalation: a.escalation ?? null,
    runbookUrl,
    routes,
    alertmanager: {
      groupWaitMs: wholeSeconds(am.groupWait ?? d.alertmanager.groupWait, 'alerting.alertmanager.groupWait', 0, problems),
      groupIntervalMs: wholeSeconds(am.groupInterval ?? d.alertmanager.groupInterval, 'alerting.alertmanager.groupInterval', 1000, problems),
      repeatIntervalMs: wholeSeconds(am.repeatInterval ?? d.alertmanager.repeatInterval, 'alerting.alertmanager.repeatInterval', 1000, problems),
      secretsDir: am.secretsDir ?? d.alertmanager.secretsDir,
    },
  };
}

/** A duration Prometheus and Alertmanager can take: whole seconds, at least `minimumMs`. */
export function wholeSeconds(text: string, where: string, minimumMs: number, problems: ConfigProblem[]): number {
  const ms = parseDuration(text);
  if (ms % 1000 !== 0 || ms < minimumMs) problems.push({ path: where, message: `must be whole seconds and at least ${minimumMs / 1000}s (got ${text})` });
  return ms;
}

export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function businessClock(text: string | undefined, problems: ConfigProblem[]): number {
  if (text === undefined) return 0;
  const parsed = parseUtcOffset(text);
  if ('problem' in parsed) {
    problems.push({ path: 'service.utcOffset', message: parsed.problem });
    return 0;
  }
  return parsed.minutes;
}

/** Holiday dates, ascending and distinct; a date that does not exist is a problem. */
function holidays(dates: readonly string[], problems: ConfigProblem[]): string[] {
  dates.forEach((date, i) => {
    const [y, m, day] = date.split('-').map(Number) as [number, number, number];
    const d = new Date(Date.UTC(y, m - 1, day));
    if (d.getUTCFullYear() !== y || d.getUTCMonth() !== m - 1 || d.getUTCDate() !== day) problems.push({ path: `alerting.holidays[${i}]`, message: `${date} is not a date` });
  });
  return [...new Set(dates)].sort();
}
