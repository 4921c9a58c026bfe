// Pushes spooled results to one collector, oldest first, in batches; each result carries its id,
// so a batch resent after a lost acknowledgement is counted once by the collector. A result
// leaves this collector's queue only when the collector acknowledged it (accepted, or a
// duplicate of one it has) or refused it for good (422: a label its config does not allow).
// Anything else (refused connection, timeout, 5xx, 401) is retried with exponential backoff and
// jitter, the results staying on disk meanwhile.
import type { AgentMetrics } from '../collector/metrics.js';
import type { Logger } from '../logging/logger.js';
import type { ProbeResult } from '../synthetic/result.js';
import type { Spool } from './spool.js';

export interface PusherDeps {
  spool: Spool;
  /** Base URL, no trailing slash. */
  collector: string;
  token: string;
  batchSize: number;
  maxBackoffMs: number;
  metrics: AgentMetrics;
  log: Logger;
  fetch?: typeof fetch;
  random?: () => number;
  /** One push's bound, the answer included (10 s by default). */
  requestTimeoutMs?: number;
  /** The first retry's wait before jitter; it doubles per failed push up to maxBackoffMs. */
  initialBackoffMs?: number;
  /** Looks at the spool this often even when nothing new was produced. */
  idlePollMs?: number;
}

type Verdict = 'progress' | 'backoff';

interface AnswerBody {
  error?: { code?: unknown; message?: unknown };
  results?: unknown;
}

interface ItemOutcome {
  id?: unknown;
  outcome?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries of many agents spread out. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return step / 2 + random() * (step / 2);
}

export class Pusher {
  private readonly deps: PusherDeps;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  private readonly url: string;
  private readonly stopping = new AbortController();
  private batchSize: number;
  private attempt = 0;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(deps: PusherDeps) {
    this.deps = deps;
    this.fetch = deps.fetch ?? fetch;
    this.random = deps.random ?? Math.random;
    this.url = `${deps.collector}/api/v1/results`;
    this.batchSize = deps.batchSize;
    this.log = deps.log.child({ component: 'pusher', collector: deps.collector });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New results are in the spool: push now unless waiting out a backoff. */
  notify(): void {
    this.wake?.();
  }

  /** Stops after the push in flight (aborted: the collector dedupes whatever it had committed). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const idlePollMs = this.deps.idlePollMs ?? 5000;
    while (!this.stopping.signal.aborted) {
      const batch = this.deps.spool.pending(this.deps.collector, this.batchSize);
      if (batch.length === 0) {
        await this.pause(idlePollMs, true);
        continue;
      }
      if ((await this.push(batch)) === 'progress') {
        this.attempt = 0;
        continue;
      }
      const delay = backoffDelay(this.attempt++, this.deps.initialBackoffMs ?? 250, this.deps.maxBackoffMs, this.random);
      // A backoff is not cut short by new results: that is what keeps a struggling collector from being hammered.
      await this.pause(delay, false);
    }
  }

  private pause(ms: number, wakeOnNotify: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopping.signal.removeEventListener('abort', done);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done, { once: true });
      if (wakeOnNotify) this.wake = done;
    });
  }

  private async push(batch: ProbeResult[]): Promise<Verdict> {
    const { collector, metrics } = this.deps;
    let status: number;
    let body: AnswerBody | null = null;
    try {
      const res = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.deps.token}` },
        body: JSON.stringify({ results: batch }),
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.deps.requestTimeoutMs ?? 10_000)]),
      });
      status = res.status;
      const text = await res.text();
      try {
        body = JSON.parse(text) as AnswerBody;
      } catch {
        body = null;
      }
    } catch (err) {
      if (this.stopping.signal.aborted) return 'backoff';
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.failed(`no answer: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }

    const errorCode = typeof body?.error?.code === 'string' ? body.error.code : null;
    const errorMessage = typeof body?.error?.message === 'string' ? body.error.message : '';
    if (status === 200) {
      const outcomes = Array.isArray(body?.results) ? (body.results as ItemOutcome[]) : null;
      if (!outcomes) return this.failed('200 without per-item outcomes');
      const settled = this.settle(batch, outcomes, ['accepted', 'duplicate']);
      if (settled === 0) return this.failed('200 acknowledging none of the batch');
      metrics.countPush(collector, 'ok');
      if (this.batchSize < this.deps.batchSize) this.batchSize = Math.min(this.deps.batchSize, this.batchSize * 2);
      return 'progress';
    }
    if (status === 422 && Array.isArray(body?.results)) {
      // The batch was refused whole because of some items; drop exactly those, resend the rest.
      const outcomes = body.results as ItemOutcome[];
      const refused = this.settle(batch, outcomes, ['rejected']);
      this.settle(batch, outcomes, ['duplicate']);
      metrics.countPush(collector, 'failed');
      if (refused === 0) return this.failed(`422 ${errorCode ?? ''} refusing no item: ${errorMessage}`);
      metrics.countRefused(collector, refused);
      this.log.warn({ refused, first: errorMessage }, 'collector refused results for good; dropped for this collector');
      return 'progress';
    }
    if (status === 413 || errorCode === 'CH_INGEST_BATCH_TOO_LARGE') {
      metrics.countPush(collector, 'failed');
      if (batch.length > 1) {
        this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        this.log.warn({ batchSize: this.batchSize }, 'collector says the batch is too large; sending smaller batches');
        return 'progress';
      }
      return this.refuseFirst(batch, `larger than the collector takes: ${errorMessage}`);
    }
    const item = status === 400 && errorCode === 'CH_INGEST_MALFORMED' ? /^results\[(\d+)\]/.exec(errorMessage) : null;
    if (item) {
      // The collector cannot read this one result (another version?); it would block every later one.
      metrics.countPush(collector, 'failed');
      const index = Number(item[1]);
      const bad = batch[index];
      if (!bad) return this.failed(`400 naming an item not in the batch: ${errorMessage}`);
      this.deps.spool.settle(collector, [bad.id]);
      metrics.countRefused(collector, 1);
      metrics.setPending(collector, this.deps.spool.pendingCount(collector));
      this.log.error({ id: bad.id, check: bad.checkId, why: errorMessage }, 'collector cannot read a result; dropped for this collector');
      return 'progress';
    }
    if (status === 401) this.log.error({ why: errorMessage }, 'collector refused the token (agent.token must equal its ingest.token)');
    return this.failed(`HTTP ${status}${errorCode ? ` ${errorCode}` : ''}${errorMessage ? `: ${errorMessage}` : ''}`);
  }

  /** Settles the batch's results whose outcome is one of `kinds`; returns how many. */
  private settle(batch: ProbeResult[], outcomes: ItemOutcome[], kinds: readonly string[]): number {
    const inBatch = new Set(batch.map((r) => r.id));
    const ids = outcomes.filter((o) => typeof o.id === 'string' && inBatch.has(o.id) && kinds.includes(String(o.outcome))).map((o) => o.id as string);
    const settled = this.deps.spool.settle(this.deps.collector, [...new Set(ids)]);
    this.deps.metrics.setPending(this.deps.collector, this.deps.spool.pendingCount(this.deps.collector));
    return settled;
  }

  private refuseFirst(batch: ProbeResult[], why: string): Verdict {
    const first = batch[0] as ProbeResult;
    this.deps.spool.settle(this.deps.collector, [first.id]);
    this.deps.metrics.countRefused(this.deps.collector, 1);
    this.deps.metrics.setPending(this.deps.collector, this.deps.spool.pendingCount(this.deps.collector));
    this.log.error({ id: first.id, check: first.checkId, why }, 'collector refused a result for good; dropped for this collector');
    return 'progress';
  }

  private failed(why: string): Verdict {
    this.deps.metrics.countPush(this.deps.collector, 'failed');
    this.log.warn({ why, attempt: this.attempt + 1, pending: this.deps.spool.pendingCount(this.deps.collector) }, 'push failed; retrying with backoff');
    return 'backoff';
  }
}
