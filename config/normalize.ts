// The validated raw config turned into the normalized Config of types.ts: ids, tiers, channels,
// transactions, account pools and receivers here; checks, settings and the safety rules in their
// own modules. Problems are collected, never thrown, so one pass reports them all.
import path from 'node:path';
import { expandChecks } from './checks.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';
import { normalizeMaintenance } from './maintenance.js';
import { isConfigId } from './paths.js';
import { normalizeSafety } from './safety.js';
import type { RawConfig } from './schema.js';
import { businessClock, normalizeAgent, normalizeAlerting, normalizeIngest, normalizeReportSchedule, parseListen } from './settings.js';
import { renderForValidation } from './steps.js';
import { normalizeSipChannel } from './transport-sip.js';
import { normalizeChannelTls } from './transport-http.js';
import { normalizeSmppChannel } from './transport-smpp.js';
import type { Config } from './types.js';
import { checkAbsoluteUrl, tryJsonPath } from './value-checks.js';

export function normalize(raw: RawConfig, source: string, problems: ConfigProblem[]): Config {
  const problem = (where: string, message: string) => problems.push({ path: where, message });
  const checkIds = (section: string, obj: Record<string, unknown> | undefined) => {
    for (const key of Object.keys(obj ?? {})) if (!isConfigId(key)) problem(`${section}.${key}`, 'id must be lower-case letters, digits and _ and start with a letter');
  };
  for (const section of ['tiers', 'backends', 'channels', 'transactions', 'flows', 'accounts', 'receivers'] as const) {
    checkIds(section, raw[section] as Record<string, unknown> | undefined);
  }
  if (Object.keys(raw.tiers).length === 0) problem('tiers', 'at least one tier is required');
  if (Object.keys(raw.channels).length === 0) problem('channels', 'at least one channel is required');
  if (Object.keys(raw.transactions).length === 0) problem('transactions', 'at least one transaction is required');

  const svc = raw.service;
  const listen = parseListen(svc.listen ?? CONFIG_DEFAULTS.listen);
  if (!listen) problem('service.listen', 'must be HOST:PORT with a port from 0 to 65535');
  const sandbox = svc.sandbox ?? CONFIG_DEFAULTS.sandbox;

  const hardDownDefault = raw.alerting?.hardDownConsecutive ?? CONFIG_DEFAULTS.alerting.hardDownConsecutive;
  const impactDefault = raw.alerting?.impactBurnRate ?? CONFIG_DEFAULTS.alerting.impactBurnRate;
  const tiers = Object.entries(raw.tiers).map(([id, t]) => {
    const impactBurnRate = t.impactBurnRate ?? impactDefault;
    // The alert tests "fails more than impactBurnRate budgets"; a share of 1 or more is no hypothesis.
    if (impactBurnRate * (1 - t.objective) >= 1) {
      const where = t.impactBurnRate !== undefined ? `tiers.${id}.impactBurnRate` : 'alerting.impactBurnRate';
      problem(where, `${impactBurnRate} times the error budget of tier ${id} (${Number((1 - t.objective).toPrecision(12))}) is a failure share of 1 or more; set tiers.${id}.impactBurnRate below ${Number((1 / (1 - t.objective)).toPrecision(4))}`);
    }
    return { id, objective: t.objective, label: t.label ?? id, hardDownConsecutive: t.hardDownConsecutive ?? hardDownDefault, impactBurnRate };
  });
  const backends = Object.entries(raw.backends).map(([id, b]) => ({ id, description: b.description ?? id, escalation: b.escalation ?? null }));

  const baseDir = path.dirname(path.resolve(source));
  const channels = Object.entries(raw.channels).map(([id, c]) => {
    const where = `channels.${id}`;
    const rendered = renderForValidation(c.baseUrl, { sandbox }, `${where}.baseUrl`, problems, new Set());
    if (rendered !== null && c.transport === 'http') checkAbsoluteUrl(rendered, `${where}.baseUrl`, problems);
    const smpp = normalizeSmppChannel(c, where, rendered, problems);
    const sip = normalizeSipChannel(c, where, rendered, problems);
    if (c.businessCode && c.transport === 'http') {
      if (c.businessCode.path === undefined) problem(`${where}.businessCode`, 'needs path, the JSON path of the code, on an http channel');
      else tryJsonPath(c.businessCode.path, `${where}.businessCode.path`, problems);
      if (c.businessCode.reply !== undefined) problem(`${where}.businessCode.reply`, 'only applies to smpp channels (an http channel reads its code at path)');
    }
    if (c.businessCode) {
      checkErrorCodes(c.businessCode.errors ?? {}, c.businessCode.success, `${where}.businessCode.errors`, problems);
    }
    return {
      id,
      description: c.description ?? id,
      transport: c.transport,
      baseUrl: c.baseUrl,
      smpp,
      sip,
      tls: normalizeChannelTls(c, where, baseDir, problems),
      rateLimitPerSecond: c.rateLimitPerSecond ?? null,
      capacityPerSecond: c.capacityPerSecond ?? null,
      escalation: c.escalation ?? null,
      businessCode: c.businessCode ? { path: c.businessCode.path ?? '', reply: c.businessCode.reply ?? null, success: [...c.businessCode.success], errors: { ...(c.businessCode.errors ?? {}) } } : null,
    };
  });

  const transactions = Object.entries(raw.transactions).map(([id, t]) => {
    const where = `transactions.${id}`;
    const tier = raw.tiers[t.tier];
    if (!tier) problem(`${where}.tier`, `unknown tier "${t.tier}" (known: ${Object.keys(raw.tiers).join(', ')})`);
    t.backends.forEach((b, i) => {
      if (!raw.backends[b]) problem(`${where}.backends[${i}]`, `unknown backend "${b}" (known: ${Object.keys(raw.backends).join(', ')})`);
    });
    if (new Set(t.backends).size !== t.backends.length) problem(`${where}.backends`, 'lists a backend twice');
    return {
      id,
      description: t.description ?? id,
      tier: t.tier,
      objective: tier?.objective ?? Number.NaN,
      backends: [...t.backends],
      moneyMoving: t.moneyMoving ?? false,
      latencyThresholdMs: t.latencyThresholdMs ?? null,
    };
  });

  for (const [pool, accounts] of Object.entries(raw.accounts ?? {})) {
    const seen = new Set<string>();
    accounts.forEach((a, i) => {
      if (seen.has(a.msisdn)) problem(`accounts.${pool}[${i}].msisdn`, 'appears twice in the pool');
      seen.add(a.msisdn);
    });
  }

  for (const [name, r] of Object.entries(raw.receivers ?? {})) {
    if (typeof r.url === 'string') checkAbsoluteUrl(r.url, `receivers.${name}.url`, problems);
  }

  const checks = expandChecks(raw, sandbox, problems);
  const publicUrl = (svc.publicUrl ?? CONFIG_DEFAULTS.publicUrl).replace(/\/+$/, '');
  const alerting = normalizeAlerting(raw, publicUrl, problems);
  const alertmanagerUrl = svc.alertmanagerUrl === undefined ? null : svc.alertmanagerUrl.replace(/\/+$/, '');
  if (alertmanagerUrl !== null) checkAbsoluteUrl(alertmanagerUrl, 'service.alertmanagerUrl', problems);

  const location = svc.location ?? CONFIG_DEFAULTS.location;
  const adminToken = svc.adminToken ?? null;
  const safety = normalizeSafety(raw, baseDir, checks, tiers, alerting, problems);
  const utcOffsetMinutes = businessClock(svc.utcOffset, problems);
  const maintenance = normalizeMaintenance(raw.maintenance, { channels: channels.map((c) => c.id), backends: backends.map((b) => b.id) }, utcOffsetMinutes, problems);
  return {
    source,
    baseDir,
    service: {
      listen: listen ?? { host: '127.0.0.1', port: 0 },
      location,
      adminToken,
      sandbox,
      concurrency: svc.concurrency ?? CONFIG_DEFAULTS.concurrency,
      resultsRetained: svc.resultsRetained ?? CONFIG_DEFAULTS.resultsRetained,
      scrape: scrapeLimits(svc.scrape, problems),
      publicUrl,
      alertmanagerUrl,
      utcOffsetMinutes,
      journal: safety.journal,
      breaker: safety.breaker,
    },
    tiers,
    backends,
    channels,
    transactions,
    checks,
    accounts: Object.fromEntries(Object.entries(raw.accounts ?? {}).map(([k, v]) => [k, v.map((a) => ({ msisdn: a.msisdn, pin: a.pin ?? null }))])),
    alerting,
    maintenance,
    receivers: Object.fromEntries(Object.entries(raw.receivers ?? {}).map(([k, r]) => [k, { url: r.url, token: r.token ?? null }])),
    ingest: normalizeIngest(raw, location, baseDir, problems),
    agent: normalizeAgent(raw, baseDir, problems),
    report: normalizeReportSchedule(raw, baseDir, problems),
  };
}

/** Business error codes become a label value: bounded in number and spelling, never `other` (the bucket for unlisted codes). */
export const MAX_ERROR_CODES = 200;

function checkErrorCodes(errors: Readonly<Record<string, string>>, success: readonly string[], where: string, problems: ConfigProblem[]): void {
  const codes = Object.keys(errors);
  if (codes.length > MAX_ERROR_CODES) problems.push({ path: where, message: `lists ${codes.length} codes; at most ${MAX_ERROR_CODES} (each is a label value)` });
  for (const code of codes) {
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(code)) problems.push({ path: `${where}.${code}`, message: 'a code is 1–32 letters, digits, _, . or -' });
    else if (code === 'other') problems.push({ path: `${where}.${code}`, message: '"other" is the label value of codes not listed here' });
    else if (success.includes(code)) problems.push({ path: `${where}.${code}`, message: `"${code}" is also a success code` });
  }
}

/** service.scrape with its defaults; a queue wait over a minute would outlast any scraper. */
function scrapeLimits(raw: RawConfig['service']['scrape'], problems: ConfigProblem[]): Config['service']['scrape'] {
  const d = CONFIG_DEFAULTS.scrape;
  const text = raw?.queueTimeout ?? d.queueTimeout;
  const queueTimeoutMs = parseDuration(text);
  if (queueTimeoutMs > 60_000) problems.push({ path: 'service.scrape.queueTimeout', message: `must be at most 60s: a scraper gives up long before (got ${text})` });
  return { concurrent: raw?.concurrent ?? d.concurrent, queued: raw?.queued ?? d.queued, queueTimeoutMs };
}
