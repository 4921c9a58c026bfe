// One transceiver bind to an SMSC, shared by every SMS check of a channel at a location, as an
// ESME keeps its binds (SMSCs limit how many a system_id may hold). It binds on first use, keeps
// the link checked with enquire_link, rebinds with a doubling backoff when the link is lost or
// refused, bounds the submits outstanding at once (the window), and hands each reply deliver_sm
// to the run waiting for it: by the test number it is addressed to and the user_message_reference
// the submit carried, never to "whoever asks next". Concatenated replies are reassembled first.
import { performance } from 'node:perf_hooks';
import smpp, { type PDU, type Session, type ShortMessage } from 'smpp';
import type { Logger } from '../../logging/logger.js';

export type BindState = 'down' | 'binding' | 'bound';

export interface BindSettings {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  enquireLinkMs: number;
  window: number;
  rebindMaxMs: number;
  /** Bound on the TCP connect and the bind_transceiver answer. */
  bindTimeoutMs?: number;
}

/** What the SMSC said to a submit_sm. */
export interface SubmitAnswer {
  commandStatus: number;
  messageId: string | null;
}

/** A reply deliver_sm, reassembled when it came in parts. */
export interface Reply {
  text: string;
  parts: number;
}

/** A failure of the bind itself: no bind, or the bind lost while a submit waited. */
export class BindUnavailableError extends Error {
  readonly code = 'SMPP_NO_BIND';
}

const REBIND_FIRST_MS = 1000;
/** Reply parts that never complete are dropped after this long (memory bound). */
const PART_TTL_MS = 120_000;
const MAX_PENDING_PARTS = 1000;

/** Name of an SMPP command_status, e.g. 0x58 → ESME_RTHROTTLED. */
export function commandStatusName(status: number): string {
  for (const [name, value] of Object.entries(smpp.errors)) if (value === status) return name;
  return `0x${status.toString(16).padStart(8, '0')}`;
}

interface ReplyWaiter {
  msisdn: string;
  reference: number;
  resolve(reply: Reply): void;
}

export class SmppBind {
  private session: Session | null = null;
  private stateValue: BindState = 'down';
  private lastProblem = 'not bound yet';
  private started = false;
  private closed = false;
  private backoffMs = REBIND_FIRST_MS;
  private rebindTimer: NodeJS.Timeout | null = null;
  private enquireTimer: NodeJS.Timeout | null = null;
  private enquireOutstanding = false;
  private outstanding = 0;
  private readonly windowQueue: Array<() => void> = [];
  private readonly bindWaiters = new Set<() => void>();
  private readonly pendingSubmits = new Set<(why: string) => void>();
  private readonly replyWaiters = new Set<ReplyWaiter>();
  private readonly parts = new Map<string, { total: number; got: Map<number, string>; reference: number | undefined; firstAt: number }>();
  private reference = Math.floor(Math.random() * 65536);

  constructor(
    private readonly settings: BindSettings,
    private readonly onState: (state: BindState) => void,
    private readonly log?: Logger,
  ) {}

  get state(): BindState {
    return this.stateValue;
  }

  /** Why the bind is not up (the last refusal or loss), for a probe's detail. */
  get problem(): string {
    return this.lastProblem;
  }

  /**
   * Resolves true once bound. The first use waits for the first bind (bounded by `signal` and
   * the bind timeout); later, a bind that is down fails at once: the probe reports `connect`.
   */
  async ready(signal: AbortSignal): Promise<boolean> {
    if (!this.started) {
      this.started = true;
      this.connect();
    }
    if (this.stateValue === 'bound') return true;
    if (this.stateValue !== 'binding') return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.bindWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.bindWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
    return (this.stateValue as BindState) === 'bound';
  }

  /** A fresh user_message_reference: what the reply must carry to be this submit's. */
  nextReference(): number {
    this.reference = (this.reference + 1) % 65536;
    return this.reference;
  }

  /**
   * Registers for the reply to `msisdn` carrying `reference`, before the submit leaves, so a
   * fast reply is not missed. Resolves null when `signal` aborts first.
   */
  expectReply(msisdn: string, reference: number, signal: AbortSignal): Promise<Reply | null> {
    return new Promise((resolve) => {
      const waiter: ReplyWaiter = {
        msisdn,
        reference,
        resolve: (reply) => {
          this.replyWaiters.delete(waiter);
          signal.removeEventListener('abort', abort);
          resolve(reply);
        },
      };
      const abort = () => {
        this.replyWaiters.delete(waiter);
        resolve(null);
      };
      if (signal.aborted) return resolve(null);
      this.replyWaiters.add(waiter);
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  /** Sends one submit_sm inside the window; throws BindUnavailableError when the bind is down or lost. */
  async submit(params: Record<string, unknown>, signal: AbortSignal): Promise<SubmitAnswer> {
    await this.windowSlot(signal);
    try {
      const session = this.session;
      if (this.stateValue !== 'bound' || !session) throw new BindUnavailableError(`no SMPP bind: ${this.lastProblem}`);
      return await new Promise<SubmitAnswer>((resolve, reject) => {
        const lost = (why: string) => {
          cleanup();
          reject(new BindUnavailableError(`the SMPP bind was lost before submit_sm_resp: ${why}`));
        };
        const abort = () => {
          cleanup();
          reject(signal.reason);
        };
        const cleanup = () => {
          this.pendingSubmits.delete(lost);
          signal.removeEventListener('abort', abort);
        };
        this.pendingSubmits.add(lost);
        signal.addEventListener('abort', abort, { once: true });
        const sent = session.submit_sm(params, (pdu: PDU) => {
          cleanup();
          resolve({ commandStatus: pdu.command_status, messageId: typeof pdu.message_id === 'string' ? pdu.message_id : null });
        });
        if (!sent) lost('the connection is not writable');
      });
    } finally {
      this.releaseSlot();
    }
  }

  /** Unbinds and stops rebinding; waiting runs see their signals, not this. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.rebindTimer) clearTimeout(this.rebindTimer);
    this.stopEnquireLink();
    const session = this.session;
    this.session = null;
    if (session) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => session.destroy(), 1000);
        session.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (this.stateValue === 'bound' && session.socket.writable) session.unbind(() => session.close());
        else session.destroy();
      });
    }
    this.setState('down');
    for (const wake of [...this.bindWaiters]) wake();
    for (const wake of this.windowQueue.splice(0)) wake();
  }

  private async windowSlot(signal: AbortSignal): Promise<void> {
    while (this.outstanding >= this.settings.window) {
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          const i = this.windowQueue.indexOf(wake);
          if (i >= 0) this.windowQueue.splice(i, 1);
          resolve();
        };
        this.windowQueue.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
    this.outstanding += 1;
  }

  private releaseSlot(): void {
    this.outstanding -= 1;
    this.windowQueue.shift()?.();
  }

  private setState(state: BindState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.onState(state);
    if (state !== 'binding') for (const wake of [...this.bindWaiters]) wake();
  }

  private connect(): void {
    if (this.closed) return;
    const { host, port } = this.settings;
    this.setState('binding');
    const session = smpp.connect({ host, port });
    // PDUs are small and come in pairs (a resp, then a deliver_sm_resp): Nagle would hold the
    // second for the peer's delayed ACK, adding ~40 ms to a step for nothing.
    session.socket.setNoDelay(true);
    this.session = session;
    const bindTimeout = setTimeout(() => {
      this.lost(session, `no bind_transceiver_resp within ${this.settings.bindTimeoutMs ?? 5000} ms`);
    }, this.settings.bindTimeoutMs ?? 5000);
    session.on('error', (err: Error & { code?: string }) => {
      clearTimeout(bindTimeout);
      this.lost(session, `${err.code ?? err.name}: ${err.message}`);
    });
    session.on('close', () => {
      clearTimeout(bindTimeout);
      this.lost(session, 'the SMSC closed the connection');
    });
    session.on('connect', () => {
      session.bind_transceiver(
        { system_id: this.settings.systemId, password: this.settings.password, system_type: this.settings.systemType, interface_version: 0x34 },
        (pdu: PDU) => {
          clearTimeout(bindTimeout);
          if (this.session !== session) return;
          if (pdu.command_status !== 0) {
            this.lost(session, `bind_transceiver refused: ${commandStatusName(pdu.command_status)}`);
            return;
          }
          this.backoffMs = REBIND_FIRST_MS;
          this.lastProblem = 'bound';
          this.setState('bound');
          this.startEnquireLink(session);
          this.log?.info({ smsc: `${host}:${port}` }, 'SMPP transceiver bound');
        },
      );
    });
    session.on('deliver_sm', (pdu: PDU) => {
      session.send(pdu.response());
      this.onDeliver(pdu);
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      this.lost(session, 'the SMSC unbound');
    });
  }

  /** The session is gone (refused, reset, timed out): mark down and rebind after the backoff. */
  private lost(session: Session, why: string): void {
    if (this.session !== session) return;
    this.session = null;
    this.lastProblem = why;
    this.stopEnquireLink();
    for (const fail of [...this.pendingSubmits]) fail(why);
    session.destroy();
    this.setState('down');
    if (this.closed) return;
    this.log?.warn({ smsc: `${this.settings.host}:${this.settings.port}`, problem: why, retryInMs: this.backoffMs }, 'SMPP bind down; rebinding');
    this.rebindTimer = setTimeout(() => {
      this.rebindTimer = null;
      this.connect();
    }, this.backoffMs);
    this.rebindTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.rebindMaxMs);
  }

  private startEnquireLink(session: Session): void {
    this.stopEnquireLink();
    this.enquireTimer = setInterval(() => {
      // The previous enquire_link went unanswered for a whole period: the link is dead.
      if (this.enquireOutstanding) return this.lost(session, `no enquire_link_resp within ${this.settings.enquireLinkMs} ms`);
      this.enquireOutstanding = true;
      session.enquire_link({}, () => {
        this.enquireOutstanding = false;
      });
    }, this.settings.enquireLinkMs);
    this.enquireTimer.unref();
  }

  private stopEnquireLink(): void {
    if (this.enquireTimer) clearInterval(this.enquireTimer);
    this.enquireTimer = null;
    this.enquireOutstanding = false;
  }

  private onDeliver(pdu: PDU): void {
    // Delivery receipts are not replies (the probe asks for none).
    if (((pdu.esm_class ?? 0) & 0x3c) === 0x04) return;
    const msisdn = pdu.destination_addr ?? '';
    const reference = typeof pdu.user_message_reference === 'number' ? pdu.user_message_reference : undefined;
    const sm = pdu.short_message as ShortMessage | undefined;
    const text = typeof sm?.message === 'string' ? sm.message : Buffer.isBuffer(sm?.message) ? sm.message.toString('latin1') : '';
    const concat = concatenationOf(sm?.udh);
    if (!concat) return this.route(msisdn, reference, { text, parts: 1 });
    const key = `${pdu.source_addr ?? ''}\u0000${msisdn}\u0000${concat.ref}`;
    this.dropStaleParts();
    let entry = this.parts.get(key);
    if (!entry) {
      if (this.parts.size >= MAX_PENDING_PARTS) return;
      entry = { total: concat.total, got: new Map(), reference, firstAt: performance.now() };
      this.parts.set(key, entry);
    }
    entry.got.set(concat.seq, text);
    entry.reference ??= reference;
    if (entry.got.size < entry.total) return;
    this.parts.delete(key);
    const whole = Array.from({ length: entry.total }, (_, i) => entry.got.get(i + 1) ?? '').join('');
    this.route(msisdn, entry.reference, { text: whole, parts: entry.total });
  }

  private route(msisdn: string, reference: number | undefined, reply: Reply): void {
    const forNumber = [...this.replyWaiters].filter((w) => w.msisdn === msisdn);
    // The reference names the submit; an SMSC that drops it leaves the number's one waiter.
    const waiter = reference !== undefined ? forNumber.find((w) => w.reference === reference) : forNumber.length === 1 ? forNumber[0] : undefined;
    if (waiter) return waiter.resolve(reply);
    // A reply after its run gave up, or to a number no run is using: not anyone's answer.
    this.log?.debug({ msisdn, reference }, 'SMS reply matched no waiting probe; dropped');
  }

  private dropStaleParts(): void {
    const cutoff = performance.now() - PART_TTL_MS;
    for (const [key, entry] of this.parts) if (entry.firstAt < cutoff) this.parts.delete(key);
  }
}

/** The concatenation header (IEI 0x00, 8-bit ref; IEI 0x08, 16-bit ref) of a part, if any. */
function concatenationOf(udh: Buffer[] | undefined): { ref: number; total: number; seq: number } | null {
  for (const ie of udh ?? []) {
    if (ie[0] === 0x00 && ie.length >= 5) return { ref: ie[2] as number, total: ie[3] as number, seq: ie[4] as number };
    if (ie[0] === 0x08 && ie.length >= 6) return { ref: ((ie[2] as number) << 8) | (ie[3] as number), total: ie[4] as number, seq: ie[5] as number };
  }
  return null;
}
