// Checks as written (one check, or a matrix of channels × transactions) expanded into one Check
// per channel and transaction, each with its flow's steps, schedule, timeout and, for a
// money-moving transaction, the plan the safety rules require.
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';
import { moneyMovingPlan } from './safety.js';
import { cronPeriodMs, resolveSchedule, validateScheduleFields } from './schedule.js';
import type { RawConfig, RawStep } from './schema.js';
import { normalizeSteps } from './steps.js';
import type { Check } from './types.js';

export function expandChecks(raw: RawConfig, sandbox: boolean, problems: ConfigProblem[]): Check[] {
  const problem = (where: string, message: string) => problems.push({ path: where, message });
  const out: Check[] = [];
  const byId = new Map<string, string>();
  const byPair = new Map<string, string>();
  // A flow shared by many checks would otherwise report the same problem once per channel.
  const moneyProblemsReported = new Set<string>();
  const defaults = raw.checkDefaults ?? {};
  // A check that sets no schedule of its own takes checkDefaults'; a bad one is reported once, here.
  const defaultsOk = raw.checkDefaults ? validateScheduleFields(raw.checkDefaults, 'checkDefaults', problems) : true;

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
        if (!scheduleOk || (!defaultsOk && c.cron === undefined && c.interval === undefined)) continue;
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
          metricsDetail: c.metricsDetail ?? defaults.metricsDetail ?? CONFIG_DEFAULTS.metricsDetail,
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
