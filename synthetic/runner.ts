// One run of one check: lease an account, run the steps in order sharing one session and the
// extracted variables, stop at the first failure except for `always` (compensating) steps,
// all inside the check's deadline. Every outcome, expected or not, becomes a ProbeResult.
// A money-moving check is journaled around its money-moving step (intended → done →
// compensated), and `recover` finishes a journaled run that a crash or a failure left behind.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Channel, Check, Config, Step, Transaction } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { AccountNotAllowedError, AccountPoolExhaustedError, unsafeRequest, type AccountHolds, type AccountLease, type RequestLimits, type TestAccountPool } from './accounts.js';
import type { CircuitBreakers } from './breaker.js';
import type { PreparedStep, Prober, ProbeSession, ProbeTarget } from './probers/index.js';
import type { ChannelRateLimiter } from './rate-limit.js';
import { runDeadline } from './deadline.js';
import { withSafeText, type FailureReason, type ProbeResult, type SkipReason, type StepResult } from './result.js';
import { MissingValueError, monthsOf, renderJson, renderTemplate, type TemplateContext } from './template.js';

/** The `{{run.*}}` values of one run; journaled so a recovery renders the same requests. */
export type RunValues = TemplateContext['run'];

/** What the journal records just before a money-moving step is sent. No credential is in it. */
export interface IntendedRun {
  runId: string;
  checkId: string;
  channel: string;
  transaction: string;
  location: string;
  pool: string;
  msisdn: string;
  /** Name of the money-moving step. */
  step: string;
  /** MoneyMovingPlan.fingerprint of the steps the run used. */
  fingerprint: string;
  run: RunValues;
  /** The journaled variables known so far (MoneyMovingPlan.journaledVars). */
  vars: Record<string, string>;
}

/** A journaled run that is not finished: what `recover` works from. */
export interface UnfinishedRun extends IntendedRun {
  /** intended: the money-moving step's outcome is unknown; done: it succeeded, compensation is due. */
  state: 'intended' | 'done';
  /** The journaled values as they were before the change, while no other change was open: what is restored. */
  baseline: Record<string, string>;
}

/**
 * The journal as the runner writes it (journal/store.ts implements it durably). Its holds keep
 * money-moving runs off accounts with an unfinished run.
 */
export interface RunJournal extends AccountHolds {
  /** Durably records the run as intended; throws when it cannot, and then nothing is sent. */
  intend(run: IntendedRun): void;
  /** The money-moving step succeeded; `vars` adds what its answer gave. */
  done(runId: string, vars: Record<string, string>): void;
  /** The channel refused the money-moving step with a business code: nothing moved. */
  refused(runId: string, detail: string): void;
  /** The money-moving step was sent but its outcome is unknown (timeout, reset, 5xx). */
  unclear(runId: string, detail: string): void;
  compensated(runId: string): void;
  /** This process is done with the run; reconciliation may take it from here. */
  release(runId: string): void;
}

export type RecoveryOutcome =
  | { kind: 'compensated' }
  /** Worth trying again later (the channel failed, the account was busy). */
  | { kind: 'retry'; detail: string }
  /** The compensation went through but the account reads back other than its baseline: flag now, keep trying. */
  | { kind: 'drift'; detail: string }
  /** No automatic way forward: a human must look. */
  | { kind: 'stuck'; detail: string };

export interface RunnerDeps {
  config: Config;
  probers: Readonly<Record<string, Prober>>;
  accountPools: ReadonlyMap<string, TestAccountPool>;
  rateLimiters: ReadonlyMap<string, ChannelRateLimiter>;
  /** Base URL of the embedded sandbox (`http://host:port/sandbox`), when there is one. */
  sandboxUrl: string | null;
  /** The embedded sandbox SMSC (`smpp://host:port`), when there is one. */
  sandboxSmppUrl?: string | null;
  /** The embedded sandbox IVR (`sip:host:port`), for {{sandbox.sipUrl}}. */
  sandboxSipUrl?: string | null;
  location: string;
  /** Required for money-moving checks: without it they are refused, nothing sent. */
  journal?: RunJournal;
  /** Per-check circuit breakers; results then carry `breaker`. */
  breakers?: CircuitBreakers;
  log?: Logger;
  now?: () => number;
  newRunId?: () => string;
}

export interface RunOptions {
  trigger: 'schedule' | 'manual';
  scheduledAt: number | null;
}

export interface CheckRunner {
  run(check: Check, options: RunOptions): Promise<ProbeResult>;
}

export interface RunRecovery {
  /** Finishes a journaled run: log in again, learn the outcome if needed, compensate. */
  recover(check: Check, entry: UnfinishedRun): Promise<RecoveryOutcome>;
}

type RenderedChannel = Channel & { renderedBaseUrl: string };


const DETAIL_MAX = 1024;

export function createRunner(deps: RunnerDeps): CheckRunner & RunRecovery {
  const now = deps.now ?? Date.now;
  const newRunId = deps.newRunId ?? (() => randomUUID().replace(/-/g, ''));
  const channels = new Map<string, RenderedChannel>();
  for (const channel of deps.config.channels) {
    const renderedBaseUrl = channel.baseUrl.replace(/\{\{\s*sandbox\.url\s*\}\}/g, deps.sandboxUrl ?? '').replace(/\{\{\s*sandbox\.smppUrl\s*\}\}/g, deps.sandboxSmppUrl ?? '').replace(/\{\{\s*sandbox\.sipUrl\s*\}\}/g, deps.sandboxSipUrl ?? '');
    channels.set(channel.id, { ...channel, renderedBaseUrl });
  }
  const transactions = new Map<string, Transaction>(deps.config.transactions.map((t) => [t.id, t]));
  const knownNumbers = new Set(Object.values(deps.config.accounts).flatMap((accounts) => accounts.map((a) => a.msisdn)));
  const journalLog = deps.log?.child({ component: 'journal' });
  const targetOf = (channel: RenderedChannel): ProbeTarget => ({ channel, baseUrl: channel.renderedBaseUrl, location: deps.location });
  // An account with an unfinished money-moving run is not leased to another one (docs/safety.md).
  if (deps.journal) for (const pool of deps.accountPools.values()) pool.useHolds(deps.journal);

  const contextFor = (check: Check, channel: RenderedChannel, lease: AccountLease | null, run: RunValues): TemplateContext => {
    const transaction = transactions.get(check.transaction) as Transaction;
    return {
      channel: { id: channel.id, baseUrl: channel.renderedBaseUrl },
      transaction: { id: transaction.id, tier: transaction.tier },
      account: lease ? { msisdn: lease.account.msisdn, pin: lease.account.pin } : null,
      run,
      sandbox: deps.sandboxUrl ? { url: deps.sandboxUrl, ...(deps.sandboxSmppUrl ? { smppUrl: deps.sandboxSmppUrl } : {}), ...(deps.sandboxSipUrl ? { sipUrl: deps.sandboxSipUrl } : {}) } : null,
      vars: {},
    };
  };
  const limitsFor = (check: Check, lease: AccountLease | null): RequestLimits => ({
    msisdn: lease?.account.msisdn ?? null,
    knownNumbers,
    maxAmount: check.maxAmount,
    moneyMoving: check.moneyMoving !== null,
  });
  /** Journal writes after the send must not turn a probe result into an exception. */
  const journalSafely = (what: string, runId: string, write: () => void) => {
    try {
      write();
    } catch (err) {
      // The entry keeps its earlier state; reconciliation will take it from there.
      journalLog?.error({ err, run: runId }, `journal: could not record ${what}`);
    }
  };

  return {
    async run(check, options) {
      const channel = channels.get(check.channel) as RenderedChannel;
      const runId = newRunId();
      const startedAt = now();
      const started = performance.now();
      const deadlineTimer = runDeadline(check.timeoutMs);
      const deadline = deadlineTimer.signal;
      const steps: StepResult[] = [];
      const breakerMark = deps.breakers?.begin(check.id) ?? null;
      const money = check.moneyMoving;
      let failure: { reason: FailureReason; step: string | null; detail: string } | null = null;
      let skipped: SkipReason | null = null;
      let cleanupFailed = false;
      let lease: AccountLease | null = null;
      let session: ProbeSession | null = null;
      let journaled = false;

      // Details quote answers (an assertion on the number's path, an error message): made safe once, here.
      const finish = (): ProbeResult => withSafeText({
        version: 1,
        id: runId,
        checkId: check.id,
        channel: check.channel,
        transaction: check.transaction,
        tier: check.tier,
        location: deps.location,
        trigger: options.trigger,
        scheduledAt: options.scheduledAt,
        startedAt,
        durationMs: performance.now() - started,
        ok: failure === null,
        reason: failure?.reason ?? null,
        failedStep: failure?.step ?? null,
        detail: failure ? failure.detail.slice(0, DETAIL_MAX) : null,
        cleanupFailed,
        steps,
        ...(skipped ? { skipped } : {}),
      });

      try {
        if (money !== null && !deps.journal) throw new RefusedRun('no probe journal is open: a money-moving check never runs without one (docs/safety.md)');
        if (check.accountPool !== null) {
          const pool = deps.accountPools.get(check.accountPool);
          if (!pool) throw new Error(`account pool "${check.accountPool}" is not loaded`);
          lease = await pool.lease(deadline, { skipHeld: money !== null });
        }
        const months = monthsOf(startedAt);
        const ctx = contextFor(check, channel, lease, {
          id: runId,
          epochMs: String(startedAt),
          month: months.month,
          prevMonth: months.prevMonth,
          checkId: check.id,
          location: deps.location,
        });
        const prober = deps.probers[channel.transport];
        if (!prober) throw new Error(`no prober for transport "${channel.transport}"`);
        session = prober(targetOf(channel));
        const limiter = deps.rateLimiters.get(channel.id);
        const limits = limitsFor(check, lease);
        let compensations = 0;
        let compensated = 0;

        for (const [index, step] of check.steps.entries()) {
          if (failure !== null && !step.always) {
            steps.push(skippedStep(step, 'an earlier step failed'));
            continue;
          }
          const isMoney = money !== null && index === money.stepIndex;
          const afterMoney = money !== null && index > money.stepIndex && step.always;
          if (afterMoney) compensations += 1;
          const beforeSend =
            isMoney && lease !== null && check.accountPool !== null
              ? () => {
                  (deps.journal as RunJournal).intend({
                    runId,
                    checkId: check.id,
                    channel: check.channel,
                    transaction: check.transaction,
                    location: deps.location,
                    pool: check.accountPool as string,
                    msisdn: (lease as AccountLease).account.msisdn,
                    step: step.name,
                    fingerprint: money.fingerprint,
                    run: ctx.run,
                    vars: pick(ctx.vars, money.journaledVars),
                  });
                  journaled = true;
                }
              : undefined;
          const outcome = await runStep(step, ctx, session, limiter, deadline, limits, beforeSend);
          steps.push(outcome);
          if (isMoney && journaled) {
            const journal = deps.journal as RunJournal;
            if (outcome.ok) journalSafely('done', runId, () => journal.done(runId, pick(ctx.vars, money.journaledVars)));
            else if (outcome.reason === 'business_error') journalSafely('refused', runId, () => journal.refused(runId, outcome.detail ?? 'business error'));
            else journalSafely('an unclear outcome', runId, () => journal.unclear(runId, outcome.detail ?? 'no answer'));
          }
          if (outcome.skipped) {
            // An always-step whose input never came (e.g. no order to refund) has nothing to undo.
            continue;
          }
          if (afterMoney && outcome.ok) compensated += 1;
          if (!outcome.ok) {
            if (failure === null && !step.always) {
              failure = { reason: outcome.reason ?? 'internal', step: step.name, detail: outcome.detail ?? '' };
            } else if (step.always) {
              // The transaction's own outcome stands; a failed compensation is reported beside it.
              cleanupFailed = true;
            }
          }
        }
        // Every compensating step ran and succeeded: whatever the money-moving step did is undone.
        if (journaled && compensations > 0 && compensated === compensations) {
          journalSafely('compensated', runId, () => (deps.journal as RunJournal).compensated(runId));
        }
      } catch (err) {
        if (err instanceof AccountPoolExhaustedError) {
          // The probe's own shortage (every account leased, or held by unfinished money-moving
          // runs): nothing was sent, so the channel is not judged; the run is counted as skipped.
          failure = { reason: 'internal', step: null, detail: err.message };
          skipped = 'no_free_account';
        } else if (err instanceof RefusedRun) {
          failure = { reason: 'internal', step: null, detail: err.message };
        } else if (deadline.aborted) {
          failure = { reason: 'timeout', step: null, detail: 'check timeout reached' };
        } else {
          failure = { reason: 'internal', step: null, detail: `${(err as Error).name}: ${(err as Error).message}` };
        }
      } finally {
        deadlineTimer.clear();
        lease?.release();
        await session?.close().catch(() => undefined);
        if (journaled) journalSafely('the end of the run', runId, () => (deps.journal as RunJournal).release(runId));
      }
      const result = finish();
      if (breakerMark && deps.breakers) {
        const after = deps.breakers.record(check.id, result);
        result.breaker = { ...breakerMark, after: after === 'closed' ? 'closed' : 'open' };
      }
      return result;
    },

    async recover(check, entry) {
      const plan = check.moneyMoving;
      const channel = channels.get(check.channel);
      if (plan === null || !channel || check.accountPool === null) return { kind: 'stuck', detail: `check "${check.id}" no longer moves money; compensate by hand` };
      if (plan.fingerprint !== entry.fingerprint) {
        return { kind: 'stuck', detail: `the steps of check "${check.id}" changed since this run; its compensation cannot be replayed safely, compensate by hand` };
      }
      const pool = deps.accountPools.get(check.accountPool);
      if (!pool || !pool.allows(entry.msisdn)) return { kind: 'stuck', detail: `the run's account is no longer in pool "${check.accountPool}"; compensate by hand` };
      const moneyStep = check.steps[plan.stepIndex] as Step;
      const replay = entry.state === 'intended' && !plan.compensationKnownBefore;
      if (replay && !plan.idempotent) {
        return {
          kind: 'stuck',
          detail: `"${moneyStep.name}" may have gone through, and what its compensation needs was in an answer never received; "${moneyStep.name}" is not idempotent, so it cannot be asked again: compensate by hand`,
        };
      }
      const deadlineTimer = runDeadline(check.timeoutMs);
      const deadline = deadlineTimer.signal;
      let lease: AccountLease | null = null;
      let session: ProbeSession | null = null;
      try {
        try {
          lease = await pool.leaseAccount(entry.msisdn, deadline);
        } catch (err) {
          if (err instanceof AccountNotAllowedError) return { kind: 'stuck', detail: err.message };
          return { kind: 'retry', detail: `the account stayed leased: ${(err as Error).message}` };
        }
        const ctx = contextFor(check, channel, lease, entry.run);
        const prober = deps.probers[channel.transport];
        if (!prober) return { kind: 'stuck', detail: `no prober for transport "${channel.transport}"` };
        session = prober(targetOf(channel));
        const limiter = deps.rateLimiters.get(channel.id);
        const limits = limitsFor(check, lease);
        const attempt = async (step: Step, what: string): Promise<RecoveryOutcome | null> => {
          const r = await runStep(step, ctx, session as ProbeSession, limiter, deadline, limits);
          if (r.skipped) return { kind: 'stuck', detail: `${what} "${step.name}" cannot run: ${r.detail}` };
          if (!r.ok) return { kind: 'retry', detail: `${what} "${step.name}" failed: ${r.reason}: ${r.detail}` };
          return null;
        };
        for (const index of plan.loginSteps) {
          const problem = await attempt(check.steps[index] as Step, 'log-in step');
          if (problem) return problem;
        }
        // Back to where the account was before any open change, whatever a later read saw.
        Object.assign(ctx.vars, entry.vars, pick(entry.baseline, plan.baselineVars));
        if (replay) {
          // Idempotent by {{run.id}}: the channel answers the first outcome again, or does it now.
          const problem = await attempt(moneyStep, 'replaying');
          if (problem) return problem;
          (deps.journal as RunJournal).done(entry.runId, pick(ctx.vars, plan.journaledVars));
        }
        for (const [index, step] of check.steps.entries()) {
          if (index <= plan.stepIndex || !step.always) continue;
          const problem = await attempt(step, 'compensating step');
          if (problem) return problem;
        }
        return await readBack(plan, check, entry, ctx.vars, (step, vars) => runStep(step, { ...ctx, vars }, session as ProbeSession, limiter, deadline, limits));
      } catch (err) {
        return { kind: 'retry', detail: `${(err as Error).name}: ${(err as Error).message}` };
      } finally {
        deadlineTimer.clear();
        lease?.release();
        await session?.close().catch(() => undefined);
      }
    },
  };
}

/**
 * After reconciliation compensated a run, reads the account back with the steps that first read
 * its baseline (the plan change's `current`) and compares: a compensation that answered success
 * but left the account elsewhere is drift, never `compensated`.
 */
async function readBack(
  plan: NonNullable<Check['moneyMoving']>,
  check: Check,
  entry: UnfinishedRun,
  known: Record<string, string>,
  send: (step: Step, vars: Record<string, string>) => Promise<StepResult>,
): Promise<RecoveryOutcome> {
  const expected = pick(entry.baseline, plan.baselineVars);
  if (Object.keys(expected).length === 0 || plan.readBackSteps.length === 0) return { kind: 'compensated' };
  // The session (login output) is reused; the baseline names are left empty for the read to fill.
  const vars = { ...known };
  for (const name of Object.keys(expected)) delete vars[name];
  for (const index of plan.readBackSteps) {
    const step = check.steps[index] as Step;
    const r = await send(step, vars);
    if (!r.ok) return { kind: 'retry', detail: `compensated, but reading the account back with "${step.name}" failed: ${r.reason}: ${r.detail}` };
  }
  const differ = Object.entries(expected).filter(([name, value]) => vars[name] !== value);
  if (differ.length === 0) return { kind: 'compensated' };
  const what = differ.map(([name, value]) => `${name} reads ${JSON.stringify(vars[name] ?? null)}, baseline ${JSON.stringify(value)}`).join('; ');
  return { kind: 'drift', detail: `compensated, but the account is not back at its baseline: ${what}; restore it by hand if reconciliation cannot` };
}

/** A run the runner will not carry out; reported as reason `internal`, nothing sent. */
class RefusedRun extends Error {}

function pick(vars: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (vars[name] !== undefined) out[name] = vars[name];
  return out;
}

function skippedStep(step: Step, detail: string): StepResult {
  return { name: step.name, ok: false, skipped: true, always: step.always, durationMs: 0, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason: null, detail };
}

/**
 * Renders, checks and sends one step through the run's session; the transport judges it.
 * `beforeSend` runs after the rate limiter's slot and just before the step leaves (the
 * journal's "intended"); if it throws, nothing is sent.
 */
async function runStep(
  step: Step,
  ctx: TemplateContext,
  session: ProbeSession,
  limiter: ChannelRateLimiter | undefined,
  deadline: AbortSignal,
  limits: RequestLimits,
  beforeSend?: () => void,
): Promise<StepResult> {
  const base = { name: step.name, always: step.always, skipped: false };
  const refused = (detail: string): StepResult => ({ ...base, ok: false, durationMs: 0, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason: 'internal', detail: detail.slice(0, DETAIL_MAX) });
  let prepared: PreparedStep;
  try {
    prepared = session.prepare(step, { text: (t) => renderTemplate(t, ctx), json: (v) => renderJson(v, ctx) });
  } catch (err) {
    if (err instanceof MissingValueError && step.always) return skippedStep(step, `nothing to do: ${err.message}`);
    return refused(err instanceof MissingValueError ? err.message : `template: ${(err as Error).message}`);
  }
  const unsafe = unsafeRequest(prepared.outbound, limits);
  if (unsafe) return refused(unsafe);

  const started = performance.now();
  try {
    if (limiter && prepared.paced !== false) await limiter.acquire(deadline);
    if (beforeSend) {
      try {
        beforeSend();
      } catch (err) {
        return refused(`refused to send: the probe journal could not record the run: ${(err as Error).message}`);
      }
    }
    const outcome = await prepared.send(deadline);
    if (outcome.ok) Object.assign(ctx.vars, outcome.extracted);
    return {
      ...base,
      ok: outcome.ok,
      durationMs: performance.now() - started,
      connectMs: outcome.connectMs,
      ttfbMs: outcome.ttfbMs,
      status: outcome.status,
      businessCode: outcome.businessCode,
      reason: outcome.ok ? null : (outcome.reason ?? 'internal'),
      detail: outcome.ok ? null : (outcome.detail ?? '').slice(0, DETAIL_MAX),
      ...(outcome.connection ? { connection: outcome.connection } : {}),
      ...(outcome.phases ? { phases: outcome.phases } : {}),
    };
  } catch (err) {
    // Only the rate limiter's wait or a transport bug get here: a transport resolves its failures.
    const detail = deadline.aborted ? 'check timeout reached' : `${(err as Error).name}: ${(err as Error).message}`;
    return { ...base, ok: false, durationMs: performance.now() - started, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason: deadline.aborted ? 'timeout' : 'internal', detail: detail.slice(0, DETAIL_MAX) };
  }
}
