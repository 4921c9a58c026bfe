// Reading a config file: YAML → schema check → cross-reference checks → normalized Config.
// Every problem is collected with its path and reported together, so a file is fixed in one pass;
// a rejected file yields no Config at all, so nothing downstream can start half-configured.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cron from 'node-cron';
import { Value } from 'typebox/value';
import { parseDocument } from 'yaml';
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { compileJsonPath } from './json-path.js';
import { ConfigSchema, type RawCheck, type RawConfig, type RawStep } from './schema.js';
import { parseTemplate, templateStrings, TEMPLATE_ROOTS } from './template-syntax.js';
import { parseUtcOffset } from './utc-offset.js';
import type { AgentSettings, AlertingSettings, Check, Config, IngestSettings, MoneyMovingPlan, Schedule, Step, Tier } from './types.js';

const ID = /^[a-z][a-z0-9_]{0,62}$/;

/** Fields a template may read under each fixed root; `vars` is checked against earlier extractions. */
const TEMPLATE_FIELDS: Record<string, readonly string[]> = {
  channel: ['id', 'baseUrl'],
  transaction: ['id', 'tier'],
  account: ['msisdn', 'pin'],
  run: ['id', 'epochMs', 'month', 'prevMonth', 'checkId', 'location'],
  sandbox: ['url'],
};

/** Stand-in for {{sandbox.url}} while validating; the real one is known once the server listens. */
export const SANDBOX_URL_PLACEHOLDER = 'http://127.0.0.1:9470/sandbox';

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CH_CONFIG_READ', file, [{ path: '', message: (err as Error).message }]);
  }
  return parseConfig(text, file);
}

/** Parses and validates config text; `source` names the file in messages and generated headers. */
export function parseConfig(text: string, source: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // After the first syntax error the parser reports cascades; the first few are the useful ones.
    throw new ConfigError(
      'CH_CONFIG_PARSE',
      source,
      doc.errors.slice(0, 3).map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : '',
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  const schemaProblems = schemaErrors(raw);
  if (schemaProblems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, schemaProblems);
  const problems: ConfigProblem[] = [];
  const config = normalize(raw as RawConfig, source, problems);
  if (problems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, problems);
  return config;
}

function schemaErrors(raw: unknown): ConfigProblem[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [{ path: '', message: 'the config must be a YAML mapping' }];
  }
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of Value.Errors(ConfigSchema, raw)) {
    // TypeBox reports an extra property twice (as `false` schema and as additionalProperties); keep the clear one.
    if (error.keyword === 'boolean') continue;
    let where = pointerToPath(error.instancePath);
    let message = error.message;
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      for (const name of extra) push(`${where ? `${where}.` : ''}${name}`, 'unknown field');
      continue;
    }
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') message = 'does not match any allowed form';
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      for (const name of missing) push(`${where ? `${where}.` : ''}${name}`, 'is required');
      continue;
    }
    if (where === '') where = '(root)';
    push(where, message);
  }
  // A union failure also reports each branch's own complaint; the branch noise hides the point.
  return dropBranchNoise(problems);

  function push(where: string, message: string) {
    const key = `${where}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ path: where, message });
  }
}

function dropBranchNoise(problems: ConfigProblem[]): ConfigProblem[] {
  const unionPaths = problems.filter((p) => p.message === 'does not match any allowed form').map((p) => p.path);
  return problems.filter(
    (p) => p.message === 'does not match any allowed form' || !unionPaths.some((u) => p.path === u || p.path.startsWith(`${u}.`) || p.path.startsWith(`${u}[`)),
  );
}

/** `/checks/3/steps/1/url` → `checks[3].steps[1].url`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function normalize(raw: RawConfig, source: string, problems: ConfigProblem[]): Config {
  const problem = (where: string, message: string) => problems.push({ path: where, message });
  const checkIds = (section: string, obj: Record<string, unknown> | undefined) => {
    for (const key of Object.keys(obj ?? {})) if (!ID.test(key)) problem(`${section}.${key}`, 'id must be lower-case letters, digits and _ and start with a letter');
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
  const tiers = Object.entries(raw.tiers).map(([id, t]) => ({ id, objective: t.objective, label: t.label ?? id, hardDownConsecutive: t.hardDownConsecutive ?? hardDownDefault }));
  const backends = Object.entries(raw.backends).map(([id, b]) => ({ id, description: b.description ?? id }));

  const channels = Object.entries(raw.channels).map(([id, c]) => {
    const where = `channels.${id}`;
    const rendered = renderForValidation(c.baseUrl, { sandbox }, `${where}.baseUrl`, problems, new Set());
    if (rendered !== null) checkAbsoluteUrl(rendered, `${where}.baseUrl`, problems);
    if (c.businessCode) {
      tryJsonPath(c.businessCode.path, `${where}.businessCode.path`, problems);
      checkErrorCodes(c.businessCode.errors ?? {}, c.businessCode.success, `${where}.businessCode.errors`, problems);
    }
    return {
      id,
      description: c.description ?? id,
      transport: c.transport,
      baseUrl: c.baseUrl,
      rateLimitPerSecond: c.rateLimitPerSecond ?? null,
      capacityPerSecond: c.capacityPerSecond ?? null,
      businessCode: c.businessCode ? { path: c.businessCode.path, success: [...c.businessCode.success], errors: { ...(c.businessCode.errors ?? {}) } } : null,
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

  const location = svc.location ?? CONFIG_DEFAULTS.location;
  const baseDir = path.dirname(path.resolve(source));
  const adminToken = svc.adminToken ?? null;
  const safety = normalizeSafety(raw, baseDir, checks, tiers, alerting, problems);
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
      publicUrl,
      utcOffsetMinutes: businessClock(svc.utcOffset, problems),
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
    receivers: Object.fromEntries(Object.entries(raw.receivers ?? {}).map(([k, r]) => [k, { url: r.url, token: r.token ?? null }])),
    ingest: normalizeIngest(raw, location, baseDir, problems),
    agent: normalizeAgent(raw, baseDir, problems),
  };
}

function normalizeIngest(raw: RawConfig, location: string, baseDir: string, problems: ConfigProblem[]): IngestSettings {
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

function normalizeAgent(raw: RawConfig, baseDir: string, problems: ConfigProblem[]): AgentSettings {
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

function normalizeAlerting(raw: RawConfig, publicUrl: string, problems: ConfigProblem[]): AlertingSettings {
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
    latency: {
      windowMs: latencyWindowMs,
      forMs: wholeSeconds(a.latency?.for ?? d.latency.for, 'alerting.latency.for', 0, problems),
      minimumRuns: a.latency?.minimumRuns ?? d.latency.minimumRuns,
    },
    scrapeJob: a.scrapeJob ?? d.scrapeJob,
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
function wholeSeconds(text: string, where: string, minimumMs: number, problems: ConfigProblem[]): number {
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

function expandChecks(raw: RawConfig, sandbox: boolean, problems: ConfigProblem[]): Check[] {
  const problem = (where: string, message: string) => problems.push({ path: where, message });
  const out: Check[] = [];
  const byId = new Map<string, string>();
  const byPair = new Map<string, string>();
  // A flow shared by many checks would otherwise report the same problem once per channel.
  const moneyProblemsReported = new Set<string>();
  const defaults = raw.checkDefaults ?? {};
  if (raw.checkDefaults) validateScheduleFields(raw.checkDefaults, 'checkDefaults', problems);

  raw.checks.forEach((c, index) => {
    const where = `checks[${index}]`;
    const single = c.channel !== undefined || c.transaction !== undefined;
    const matrix = c.channels !== undefined || c.transactions !== undefined;
    if (single && matrix) return problem(where, 'use either channel + transaction or channels + transactions, not both');
    if (!single && !matrix) return problem(where, 'needs channel + transaction (one check) or channels + transactions (a matrix)');
    if (single && (c.channel === undefined || c.transaction === undefined)) {
      return problem(`${where}.${c.channel === undefined ? 'channel' : 'transaction'}`, 'is required with the single-check form');
    }
    if (matrix && (c.channels === undefined || c.transactions === undefined)) {
      return problem(`${where}.${c.channels === undefined ? 'channels' : 'transactions'}`, 'is required with the matrix form');
    }
    if (matrix && c.id !== undefined) problem(`${where}.id`, 'a matrix names its checks <channel>.<transaction>; id goes with a single check');
    const channelIds = single ? [c.channel as string] : c.channels === '*' ? Object.keys(raw.channels) : (c.channels as string[]);
    const transactionIds = single ? [c.transaction as string] : c.transactions === '*' ? Object.keys(raw.transactions) : (c.transactions as string[]);
    let known = true;
    channelIds.forEach((ch, i) => {
      if (!raw.channels[ch]) {
        known = false;
        problem(single ? `${where}.channel` : `${where}.channels[${i}]`, `unknown channel "${ch}" (known: ${Object.keys(raw.channels).join(', ')})`);
      }
    });
    transactionIds.forEach((tx, i) => {
      if (!raw.transactions[tx]) {
        known = false;
        problem(single ? `${where}.transaction` : `${where}.transactions[${i}]`, `unknown transaction "${tx}" (known: ${Object.keys(raw.transactions).join(', ')})`);
      }
    });
    if (c.steps && c.flow) problem(`${where}.steps`, 'give either steps or flow, not both');
    const scheduleOk = validateScheduleFields(c, where, problems);
    if (!known) return;

    for (const channel of channelIds) {
      for (const transaction of transactionIds) {
        const id = c.id ?? `${channel}.${transaction}`;
        const label = single ? where : `${where} (${channel}.${transaction})`;
        if (byId.has(id)) problem(single ? `${where}.id` : where, `check id "${id}" is already used by ${byId.get(id)}`);
        byId.set(id, label);
        if (c.enabled === false) continue;
        const pair = `${channel}\u0000${transaction}`;
        if (byPair.has(pair)) {
          problem(where, `${channel} × ${transaction} is already probed by ${byPair.get(pair)}; one check per channel and transaction keeps the metrics unambiguous`);
        }
        byPair.set(pair, label);
        const flowName = c.flow ?? transaction;
        const flow = raw.flows?.[flowName];
        let rawSteps: RawStep[] | undefined = c.steps;
        let stepsWhere = `${where}.steps`;
        if (!rawSteps) {
          if (!flow) {
            problem(c.flow ? `${where}.flow` : where, `no flow "${flowName}" in flows${c.flow ? '' : ` (a check of ${transaction} runs the flow of that name unless it gives steps or flow)`}`);
            continue;
          }
          rawSteps = flow.steps;
          stepsWhere = `flows.${flowName}.steps`;
        }
        const accountPool = c.accountPool ?? flow?.accountPool ?? defaults.accountPool ?? null;
        if (accountPool !== null && !raw.accounts?.[accountPool]) {
          problem(c.accountPool ? `${where}.accountPool` : flow?.accountPool ? `flows.${flowName}.accountPool` : 'checkDefaults.accountPool', `unknown account pool "${accountPool}"`);
        }
        const steps = normalizeSteps(rawSteps, stepsWhere, raw, channel, sandbox, accountPool !== null, problems);
        const maxAmount = c.maxAmount ?? flow?.maxAmount ?? null;
        const money = moneyMovingPlan({
          transaction,
          moneyMoving: raw.transactions[transaction]?.moneyMoving ?? false,
          rawSteps,
          steps,
          stepsWhere,
          checkWhere: label,
          accountPool,
          maxAmount,
          maxAmountWhere: c.maxAmount !== undefined ? `${where}.maxAmount` : `flows.${flowName}.maxAmount`,
          problems,
          reported: moneyProblemsReported,
        });
        if (!scheduleOk) continue;
        const schedule = resolveSchedule(c, defaults);
        const periodMs = schedule.kind === 'interval' ? schedule.intervalMs : cronPeriodMs(schedule.expression);
        const timeoutMs = parseDuration(c.timeout ?? defaults.timeout ?? CONFIG_DEFAULTS.timeout);
        if (timeoutMs >= periodMs) {
          problem(`${where}.${c.timeout ? 'timeout' : 'interval'}`, `timeout (${timeoutMs} ms) must be shorter than the time between runs (${periodMs} ms)`);
        }
        out.push({
          id,
          channel,
          transaction,
          tier: raw.transactions[transaction]?.tier ?? '',
          schedule,
          periodMs,
          timeoutMs,
          accountPool,
          steps,
          maxAmount,
          moneyMoving: money,
          origin: label,
        });
      }
    }
  });
  return out;
}

function validateScheduleFields(c: Pick<RawCheck, 'interval' | 'cron'>, where: string, problems: ConfigProblem[]): boolean {
  let ok = true;
  if (c.interval !== undefined && c.cron !== undefined) {
    problems.push({ path: `${where}.cron`, message: 'give either interval or cron, not both' });
    ok = false;
  }
  if (c.interval !== undefined) {
    const ms = parseDuration(c.interval);
    if (!intervalFitsClock(ms)) {
      problems.push({ path: `${where}.interval`, message: `${c.interval} must be whole seconds and divide a minute, an hour or a day (e.g. 10s, 30s, 5m, 1h); use cron for other schedules` });
      ok = false;
    }
  }
  if (c.cron !== undefined) {
    const fields = c.cron.trim().split(/\s+/);
    const detail = cron.validateDetailed(c.cron);
    if (fields.length !== 6) {
      problems.push({ path: `${where}.cron`, message: `"${c.cron}" must have six fields (second minute hour day month weekday)` });
      ok = false;
    } else if (!detail.valid) {
      problems.push({ path: `${where}.cron`, message: `"${c.cron}" is not a valid cron expression: ${detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` });
      ok = false;
    }
  }
  return ok;
}

/** Wall-clock aligned intervals only: so that a check's runs land on the same seconds every period. */
export function intervalFitsClock(ms: number): boolean {
  if (ms < 1000 || ms % 1000 !== 0) return false;
  const s = ms / 1000;
  if (s <= 60) return 60 % s === 0;
  if (s <= 3600) return s % 60 === 0 && 3600 % s === 0;
  return s % 3600 === 0 && 86400 % s === 0;
}

function resolveSchedule(c: RawCheck, defaults: NonNullable<RawConfig['checkDefaults']>): Schedule {
  if (c.cron !== undefined) return { kind: 'cron', expression: c.cron };
  if (c.interval !== undefined) return { kind: 'interval', intervalMs: parseDuration(c.interval) };
  if (defaults.cron !== undefined) return { kind: 'cron', expression: defaults.cron };
  return { kind: 'interval', intervalMs: parseDuration(defaults.interval ?? CONFIG_DEFAULTS.interval) };
}

/** The mean gap between a cron's next runs: the probe rate the alert thresholds are computed from. */
function cronPeriodMs(expression: string): number {
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(25);
    if (runs.length < 2) return 86_400_000;
    return Math.max(1000, Math.round(((runs.at(-1) as Date).getTime() - (runs[0] as Date).getTime()) / (runs.length - 1)));
  } finally {
    void task.destroy();
  }
}

function normalizeSteps(
  rawSteps: RawStep[],
  where: string,
  raw: RawConfig,
  channelId: string,
  sandbox: boolean,
  hasAccount: boolean,
  problems: ConfigProblem[],
): Step[] {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  const channel = raw.channels[channelId];
  const names = new Set<string>();
  const extracted = new Set<string>();
  return rawSteps.map((s, i) => {
    const sw = `${where}[${i}]`;
    if (names.has(s.name)) problem(`${sw}.name`, `step name "${s.name}" is used twice`);
    names.add(s.name);
    const ctx = { sandbox, hasAccount, vars: extracted };
    const url = renderForValidation(s.request.url, ctx, `${sw}.request.url`, problems, extracted, channel?.baseUrl);
    if (url !== null) checkAbsoluteUrl(url, `${sw}.request.url`, problems);
    for (const [h, v] of Object.entries(s.request.headers ?? {})) renderForValidation(v, ctx, `${sw}.request.headers.${h}`, problems, extracted);
    if (s.request.body !== undefined) renderForValidation(s.request.body, ctx, `${sw}.request.body`, problems, extracted);
    if (s.request.body !== undefined && s.request.json !== undefined) problem(`${sw}.request.body`, 'give either json or body, not both');
    for (const t of templateStrings(s.request.json)) renderForValidation(t.text, ctx, `${sw}.request.json${t.path}`, problems, extracted);
    for (const [name, p] of Object.entries(s.extract ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problem(`${sw}.extract.${name}`, 'variable names are letters, digits and _');
      tryJsonPath(p, `${sw}.extract.${name}`, problems);
    }
    (s.assert?.json ?? []).forEach((a, j) => {
      const aw = `${sw}.assert.json[${j}]`;
      tryJsonPath(a.path, `${aw}.path`, problems);
      const kinds = ['equals', 'notEquals', 'exists', 'matches', 'lessThan', 'greaterThan'].filter((k) => k in a);
      if (kinds.length === 0) problem(aw, 'needs one of equals, notEquals, exists, matches, lessThan, greaterThan');
      if (a.matches !== undefined) {
        try {
          new RegExp(a.matches);
        } catch (err) {
          problem(`${aw}.matches`, `not a valid regular expression: ${(err as Error).message}`);
        }
      }
    });
    // Extracted names become visible to later steps only.
    for (const name of Object.keys(s.extract ?? {})) extracted.add(name);
    return {
      name: s.name,
      always: s.always ?? false,
      request: {
        method: s.request.method ?? CONFIG_DEFAULTS.method,
        url: s.request.url,
        headers: { ...(s.request.headers ?? {}) },
        ...(s.request.json !== undefined ? { json: s.request.json } : {}),
        ...(s.request.body !== undefined ? { body: s.request.body } : {}),
      },
      extract: { ...(s.extract ?? {}) },
      assert: {
        status: s.assert?.status ?? CONFIG_DEFAULTS.stepStatus,
        businessCode: s.assert?.businessCode ?? channel?.businessCode !== undefined,
        maxLatencyMs: s.assert?.maxLatencyMs ?? null,
        json: s.assert?.json ?? [],
      },
    };
  });
}

/**
 * Checks every reference of a template and renders it with stand-in values, so a URL can be
 * tested for absoluteness before anything runs. Returns null when the template is unusable.
 */
function renderForValidation(
  template: string,
  ctx: { sandbox: boolean; hasAccount?: boolean; vars?: Set<string> },
  where: string,
  problems: ConfigProblem[],
  vars: Set<string>,
  channelBaseUrl?: string,
): string | null {
  let parts;
  try {
    parts = parseTemplate(template);
  } catch (err) {
    problems.push({ path: where, message: (err as Error).message });
    return null;
  }
  let ok = true;
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const fail = (message: string) => {
      ok = false;
      problems.push({ path: where, message: `${part.source}: ${message}` });
    };
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(part.root) || part.root === 'secrets') {
      fail(`unknown variable root "${part.root}" (known: ${TEMPLATE_ROOTS.filter((r) => r !== 'secrets').join(', ')})`);
      continue;
    }
    const field = part.path[0];
    if (part.root === 'vars') {
      if (part.path.length !== 1 || !vars.has(field as string)) fail(`"${part.path.join('.')}" is not extracted by an earlier step`);
      out += 'value';
      continue;
    }
    if (part.path.length !== 1 || !TEMPLATE_FIELDS[part.root]?.includes(field as string)) {
      fail(`unknown field (known under ${part.root}: ${TEMPLATE_FIELDS[part.root]?.join(', ')})`);
      continue;
    }
    if (part.root === 'sandbox' && !ctx.sandbox) {
      fail('the sandbox is not enabled (service.sandbox: true)');
      continue;
    }
    if (part.root === 'account' && ctx.hasAccount === false) {
      fail('the check has no account pool (set accountPool on the check, its flow or checkDefaults)');
      continue;
    }
    if (part.root === 'channel' && field === 'baseUrl') {
      if (channelBaseUrl === undefined) {
        fail('channel.baseUrl cannot be used here');
        continue;
      }
      out += renderSandboxOnly(channelBaseUrl);
      continue;
    }
    out += part.root === 'sandbox' ? SANDBOX_URL_PLACEHOLDER : 'value';
  }
  return ok ? out : null;
}

function renderSandboxOnly(template: string): string {
  return template.replace(/\{\{\s*sandbox\.url\s*\}\}/g, SANDBOX_URL_PLACEHOLDER);
}

function checkAbsoluteUrl(text: string, where: string, problems: ConfigProblem[]): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push({ path: where, message: `must be an absolute URL (got "${text}")` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({ path: where, message: `must be an http or https URL (got "${url.protocol}")` });
}

function businessClock(text: string | undefined, problems: ConfigProblem[]): number {
  if (text === undefined) return 0;
  const parsed = parseUtcOffset(text);
  if ('problem' in parsed) {
    problems.push({ path: 'service.utcOffset', message: parsed.problem });
    return 0;
  }
  return parsed.minutes;
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

function tryJsonPath(p: string, where: string, problems: ConfigProblem[]): void {
  try {
    compileJsonPath(p);
  } catch (err) {
    problems.push({ path: where, message: (err as Error).message });
  }
}

// ---- Money-moving checks, the probe journal and the breaker (docs/safety.md) ----

/** Words that say a value is a credential: such a value must never reach the journal. */
const CREDENTIAL_WORDS = new Set(['token', 'pin', 'password', 'passwd', 'pwd', 'secret', 'cookie', 'session', 'sid', 'auth', 'otp', 'jwt', 'bearer', 'credential', 'credentials']);

/** `accessToken`, `session_id`, `PIN` → a credential; `mappingId`, `orderId` → not. */
function looksLikeCredential(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_]+/).map((w) => w.toLowerCase());
  return words.some((w) => CREDENTIAL_WORDS.has(w));
}

interface StepRefs {
  vars: Set<string>;
  usesPin: boolean;
  usesRunId: boolean;
}

function stepRefs(step: RawStep): StepRefs {
  const refs: StepRefs = { vars: new Set(), usesPin: false, usesRunId: false };
  const texts = [step.request.url, ...Object.values(step.request.headers ?? {}), ...(step.request.body !== undefined ? [step.request.body] : [])];
  for (const t of templateStrings(step.request.json)) texts.push(t.text);
  for (const text of texts) {
    let parts;
    try {
      parts = parseTemplate(text);
    } catch {
      continue; // reported by normalizeSteps
    }
    for (const part of parts) {
      if (part.kind !== 'ref') continue;
      if (part.root === 'vars' && part.path[0] !== undefined) refs.vars.add(part.path[0]);
      if (part.root === 'account' && part.path[0] === 'pin') refs.usesPin = true;
      if (part.root === 'run' && part.path[0] === 'id') refs.usesRunId = true;
    }
  }
  return refs;
}

/** Every `amount` field in a JSON body template, at any depth, with its path. */
function* amountFields(value: unknown, at = ''): Generator<{ path: string; value: unknown }> {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* amountFields(v, `${at}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'amount') yield { path: `${at}.${k}`, value: v };
      yield* amountFields(v, `${at}.${k}`);
    }
  }
}

interface MoneyPlanInput {
  transaction: string;
  moneyMoving: boolean;
  rawSteps: RawStep[];
  steps: Step[];
  stepsWhere: string;
  checkWhere: string;
  accountPool: string | null;
  maxAmount: number | null;
  maxAmountWhere: string;
  problems: ConfigProblem[];
  reported: Set<string>;
}

/**
 * The rules of docs/safety.md: a money-moving check leases an account, marks the one step that
 * moves money, compensates in `always` steps that need nothing the crash could have lost, never
 * journals a credential, and caps the amounts it sends. Returns null for other checks.
 */
function moneyMovingPlan(i: MoneyPlanInput): MoneyMovingPlan | null {
  const problem = (where: string, message: string) => {
    const key = `${where}\u0000${message}`;
    if (i.reported.has(key)) return;
    i.reported.add(key);
    i.problems.push({ path: where, message });
  };
  const marked = i.rawSteps.flatMap((s, n) => (s.moneyMoving ? [n] : []));
  i.rawSteps.forEach((s, n) => {
    if (s.idempotent && !s.moneyMoving) problem(`${i.stepsWhere}[${n}].idempotent`, 'only the moneyMoving step can be marked idempotent');
  });
  // Literal amounts are checked now; templated ones when the request is rendered.
  let sendsAmount = false;
  i.rawSteps.forEach((s, n) => {
    for (const field of amountFields(s.request.json)) {
      sendsAmount = true;
      const value = typeof field.value === 'number' ? field.value : typeof field.value === 'string' && !field.value.includes('{{') ? Number(field.value) : null;
      if (value === null) continue;
      const where = `${i.stepsWhere}[${n}].request.json${field.path}`;
      if (!Number.isFinite(value)) problem(where, `"${String(field.value)}" is not a number`);
      else if (i.maxAmount !== null && Math.abs(value) > i.maxAmount) problem(where, `${value} is above maxAmount ${i.maxAmount} (${i.checkWhere})`);
    }
  });

  if (!i.moneyMoving) {
    for (const n of marked) problem(`${i.stepsWhere}[${n}].moneyMoving`, `transaction "${i.transaction}" is not money-moving (transactions.${i.transaction}.moneyMoving: true)`);
    return null;
  }
  if (i.accountPool === null) problem(i.checkWhere, `a check of money-moving transaction "${i.transaction}" needs an account pool (accountPool on the check, its flow or checkDefaults)`);
  if (sendsAmount && i.maxAmount === null) problem(i.maxAmountWhere, `is required: a step of money-moving transaction "${i.transaction}" sends an amount (set maxAmount on the check or its flow)`);
  const compensating = i.rawSteps.flatMap((s, n) => (s.always ? [n] : []));
  if (compensating.length === 0) problem(i.stepsWhere, `a flow of money-moving transaction "${i.transaction}" needs a compensating step with always: true (the refund, the revert)`);
  if (marked.length === 0) {
    problem(i.stepsWhere, `a flow of money-moving transaction "${i.transaction}" must mark the step that moves money with moneyMoving: true`);
    return null;
  }
  for (const n of marked.slice(1)) problem(`${i.stepsWhere}[${n}].moneyMoving`, `only one step may move money (step "${i.rawSteps[marked[0] as number]?.name}" already does)`);
  const stepIndex = marked[0] as number;
  const moneyStep = i.rawSteps[stepIndex] as RawStep;
  if (moneyStep.always) problem(`${i.stepsWhere}[${stepIndex}].always`, 'the step that moves money cannot also be its own compensation');
  for (const n of compensating) {
    if (n < stepIndex) problem(`${i.stepsWhere}[${n}].always`, `a compensating step must come after the moneyMoving step "${moneyStep.name}"`);
  }
  if (moneyStep.idempotent && !stepRefs(moneyStep).usesRunId) {
    problem(`${i.stepsWhere}[${stepIndex}].idempotent`, 'an idempotent step must carry an id built from {{run.id}} for the channel to de-duplicate it by');
  }

  const loginSteps = i.rawSteps.flatMap((s, n) => (n < stepIndex && stepRefs(s).usesPin ? [n] : []));
  const extractedBy = new Map<string, number>();
  i.rawSteps.forEach((s, n) => {
    for (const name of Object.keys(s.extract ?? {})) if (!extractedBy.has(name)) extractedBy.set(name, n);
  });
  const loginOutput = new Set(loginSteps.flatMap((n) => Object.keys(i.rawSteps[n]?.extract ?? {})));
  const journaled = new Set<string>();
  let knownBefore = true;
  for (const name of stepRefs(moneyStep).vars) if (!loginOutput.has(name)) journaled.add(name);
  for (const n of compensating) {
    if (n <= stepIndex) continue;
    for (const name of stepRefs(i.rawSteps[n] as RawStep).vars) {
      const from = extractedBy.get(name);
      if (from === undefined) continue; // reported by normalizeSteps
      if (from > stepIndex) {
        problem(
          `${i.stepsWhere}[${n}]`,
          `{{vars.${name}}}: a compensating step may use only values extracted by the moneyMoving step "${moneyStep.name}" or before it; after a crash nothing later is known`,
        );
      }
      if (from >= stepIndex) knownBefore = false;
      if (!loginOutput.has(name)) journaled.add(name);
    }
  }
  for (const name of journaled) {
    if (!looksLikeCredential(name)) continue;
    const from = extractedBy.get(name);
    problem(
      from === undefined ? i.stepsWhere : `${i.stepsWhere}[${from}].extract.${name}`,
      'would be written to the probe journal, and its name says it is a credential; extract it in a login step (one that sends {{account.pin}}), whose output is never journaled',
    );
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(i.steps)).digest('hex').slice(0, 16);
  return {
    stepIndex,
    idempotent: moneyStep.idempotent ?? false,
    loginSteps,
    journaledVars: [...journaled].sort(),
    compensationKnownBefore: knownBefore,
    fingerprint,
  };
}

function normalizeSafety(
  raw: RawConfig,
  baseDir: string,
  checks: readonly Check[],
  tiers: readonly Tier[],
  alerting: AlertingSettings,
  problems: ConfigProblem[],
): { journal: Config['service']['journal']; breaker: Config['service']['breaker'] } {
  const j = raw.service.journal ?? {};
  const b = raw.service.breaker ?? {};
  const d = CONFIG_DEFAULTS;
  // The embedded sandbox keeps its balances in this process: a durable journal of them would
  // outlive the money it records. Anything else moves money that survives a crash.
  const embeddedOnly = checks
    .filter((c) => c.moneyMoving !== null)
    .every((c) => /\{\{\s*sandbox\.url\s*\}\}/.test(raw.channels[c.channel]?.baseUrl ?? ''));
  const journalPath = j.path !== undefined ? path.resolve(baseDir, j.path) : embeddedOnly ? null : path.resolve(baseDir, d.journal.path);
  const openAfter = b.openAfter ?? d.breaker.openAfter;
  // The breaker must not open before the hard-down alert of the check's tier could fire.
  const probed = new Set(checks.map((c) => c.tier));
  const strictest = tiers
    .filter((t) => probed.has(t.id))
    .reduce<{ n: number; path: string }>(
      (worst, t) =>
        t.hardDownConsecutive > worst.n
          ? { n: t.hardDownConsecutive, path: raw.tiers[t.id]?.hardDownConsecutive !== undefined ? `tiers.${t.id}.hardDownConsecutive` : 'alerting.hardDownConsecutive' }
          : worst,
      { n: 0, path: 'alerting.hardDownConsecutive' },
    );
  if (openAfter < strictest.n) {
    problems.push({
      path: b.openAfter !== undefined ? 'service.breaker.openAfter' : strictest.path,
      message: `the breaker opens after ${openAfter} failed runs, before the hard-down alert (${strictest.n} in a row) could fire; openAfter must be at least hardDownConsecutive`,
    });
  }
  return {
    journal: {
      path: journalPath,
      reconcileIntervalMs: wholeSeconds(j.reconcileInterval ?? d.journal.reconcileInterval, 'service.journal.reconcileInterval', 1000, problems),
      maxAttempts: j.maxAttempts ?? d.journal.maxAttempts,
    },
    breaker: { openAfter, maxBackoff: b.maxBackoff ?? d.breaker.maxBackoff },
  };
}
