// One run of one check: lease an account, run the steps in order sharing one session and the
// extracted variables, stop at the first failure except for `always` (compensating) steps,
// all inside the check's deadline. Every outcome, expected or not, becomes a ProbeResult.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Channel, Check, Config, Step, Transaction } from '../config/index.js';
import { AccountPoolExhaustedError, type AccountLease, type TestAccountPool } from './accounts.js';
import { judgeStep, parseJsonBody } from './assertions.js';
import { classifyTransportError } from './classify.js';
import type { Prober, ProbeSession } from './probers/index.js';
import type { ChannelRateLimiter } from './rate-limit.js';
import type { FailureReason, ProbeResult, StepResult } from './result.js';
import { MissingValueError, monthsOf, renderJson, renderTemplate, type TemplateContext } from './template.js';

export interface RunnerDeps {
  config: Config;
  probers: Readonly<Record<string, Prober>>;
  accountPools: ReadonlyMap<string, TestAccountPool>;
  rateLimiters: ReadonlyMap<string, ChannelRateLimiter>;
  /** Base URL of the embedded sandbox (`http://host:port/sandbox`), when there is one. */
  sandboxUrl: string | null;
  location: string;
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

const DETAIL_MAX = 1024;

export function createRunner(deps: RunnerDeps): CheckRunner {
  const now = deps.now ?? Date.now;
  const newRunId = deps.newRunId ?? (() => randomUUID().replace(/-/g, ''));
  const channels = new Map<string, Channel & { renderedBaseUrl: string }>();
  for (const channel of deps.config.channels) {
    const renderedBaseUrl = channel.baseUrl.replace(/\{\{\s*sandbox\.url\s*\}\}/g, deps.sandboxUrl ?? '');
    channels.set(channel.id, { ...channel, renderedBaseUrl });
  }
  const transactions = new Map<string, Transaction>(deps.config.transactions.map((t) => [t.id, t]));

  return {
    async run(check, options) {
      const channel = channels.get(check.channel) as Channel & { renderedBaseUrl: string };
      const transaction = transactions.get(check.transaction) as Transaction;
      const runId = newRunId();
      const startedAt = now();
      const started = performance.now();
      const deadline = AbortSignal.timeout(check.timeoutMs);
      const steps: StepResult[] = [];
      let failure: { reason: FailureReason; step: string | null; detail: string } | null = null;
      let cleanupFailed = false;
      let lease: AccountLease | null = null;
      let session: ProbeSession | null = null;

      const finish = (): ProbeResult => ({
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
      });

      try {
        if (check.accountPool !== null) {
          const pool = deps.accountPools.get(check.accountPool);
          if (!pool) throw new Error(`account pool "${check.accountPool}" is not loaded`);
          lease = await pool.lease(deadline);
        }
        const months = monthsOf(startedAt);
        const ctx: TemplateContext = {
          channel: { id: channel.id, baseUrl: channel.renderedBaseUrl },
          transaction: { id: transaction.id, tier: transaction.tier },
          account: lease ? { msisdn: lease.account.msisdn, pin: lease.account.pin } : null,
          run: { id: runId, epochMs: String(startedAt), month: months.month, prevMonth: months.prevMonth, checkId: check.id, location: deps.location },
          sandbox: deps.sandboxUrl ? { url: deps.sandboxUrl } : null,
          vars: {},
        };
        const prober = deps.probers[channel.transport];
        if (!prober) throw new Error(`no prober for transport "${channel.transport}"`);
        session = prober();
        const limiter = deps.rateLimiters.get(channel.id);

        for (const step of check.steps) {
          if (failure !== null && !step.always) {
            steps.push(skippedStep(step, 'an earlier step failed'));
            continue;
          }
          const outcome = await runStep(step, ctx, session, limiter, deadline, channel);
          steps.push(outcome.result);
          if (outcome.result.skipped) {
            // An always-step whose input never came (e.g. no order to refund) has nothing to undo.
            continue;
          }
          if (!outcome.result.ok) {
            if (failure === null && !step.always) {
              failure = { reason: outcome.result.reason ?? 'internal', step: step.name, detail: outcome.result.detail ?? '' };
            } else if (step.always) {
              // The transaction's own outcome stands; a failed compensation is reported beside it.
              cleanupFailed = true;
            }
          }
        }
      } catch (err) {
        if (err instanceof AccountPoolExhaustedError) {
          failure = { reason: 'internal', step: null, detail: err.message };
        } else if (deadline.aborted) {
          failure = { reason: 'timeout', step: null, detail: 'check timeout reached' };
        } else {
          failure = { reason: 'internal', step: null, detail: `${(err as Error).name}: ${(err as Error).message}` };
        }
      } finally {
        lease?.release();
        await session?.close().catch(() => undefined);
      }
      return finish();
    },
  };
}

function skippedStep(step: Step, detail: string): StepResult {
  return { name: step.name, ok: false, skipped: true, always: step.always, durationMs: 0, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason: null, detail };
}

async function runStep(
  step: Step,
  ctx: TemplateContext,
  session: ProbeSession,
  limiter: ChannelRateLimiter | undefined,
  deadline: AbortSignal,
  channel: Channel,
): Promise<{ result: StepResult }> {
  const base = { name: step.name, always: step.always, skipped: false };
  let request;
  try {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.request.headers)) headers[k.toLowerCase()] = renderTemplate(v, ctx);
    let body: string | undefined;
    if (step.request.json !== undefined) {
      body = JSON.stringify(renderJson(step.request.json, ctx));
      headers['content-type'] ??= 'application/json';
    } else if (step.request.body !== undefined) {
      body = renderTemplate(step.request.body, ctx);
    }
    request = { method: step.request.method, url: renderTemplate(step.request.url, ctx), headers, body };
  } catch (err) {
    if (err instanceof MissingValueError && step.always) return { result: skippedStep(step, `nothing to do: ${err.message}`) };
    const detail = err instanceof MissingValueError ? err.message : `template: ${(err as Error).message}`;
    return { result: { ...base, ok: false, durationMs: 0, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason: 'internal', detail } };
  }

  const started = performance.now();
  try {
    if (limiter) await limiter.acquire(deadline);
    const response = await session.exchange(request, deadline);
    const json = parseJsonBody(response.body);
    const verdict = judgeStep(step, { status: response.status, body: response.body, json, durationMs: response.totalMs }, channel.businessCode);
    const timing = { durationMs: performance.now() - started, connectMs: response.connectMs, ttfbMs: response.ttfbMs, status: response.status };
    if (verdict.ok) {
      Object.assign(ctx.vars, verdict.extracted);
      return { result: { ...base, ok: true, ...timing, businessCode: verdict.businessCode, reason: null, detail: null } };
    }
    return { result: { ...base, ok: false, ...timing, businessCode: verdict.businessCode, reason: verdict.reason, detail: verdict.detail.slice(0, DETAIL_MAX) } };
  } catch (err) {
    const { reason, detail } = classifyTransportError(err, deadline.aborted);
    return {
      result: { ...base, ok: false, durationMs: performance.now() - started, connectMs: 0, ttfbMs: 0, status: null, businessCode: null, reason, detail: detail.slice(0, DETAIL_MAX) },
    };
  }
}
