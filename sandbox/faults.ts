// The faults an operator or a test injects into the sandbox, and which requests each one hits.
// A fault's reach follows the config: a backend fault hits every transaction whose `backends`
// list names it, on every channel, so changing the config changes how a backend failure spreads.
import type { Config } from '../config/index.js';
import { backendFailureCode } from './envelope.js';
import { SandboxError, type SandboxProblem } from './errors.js';

export type FaultMode = 'error' | 'latency' | 'hang' | 'reset' | SmscFaultMode | IvrFaultMode;

/** Faults only an SMSC can show; they need a channel scope naming an smpp channel. */
export const SMSC_FAULT_MODES = ['throttle', 'bind_refused', 'no_reply', 'bad_reply'] as const;
export type SmscFaultMode = (typeof SMSC_FAULT_MODES)[number];
/**
 * Faults only an IVR can show; they need a channel scope naming a sip channel. busy (486),
 * unavailable (503), no_answer (rings until cancelled) and silence (answers, says nothing) hit a
 * call as it is set up, before any key says which transaction it is for, so they take no
 * transaction; rtp_loss (rate: the share of packets lost) and rtp_jitter (latencyMs: the most a
 * packet is held) hit the whole call's audio; wrong_prompt may be scoped to a transaction.
 */
export const IVR_FAULT_MODES = ['busy', 'unavailable', 'no_answer', 'silence', 'wrong_prompt', 'rtp_loss', 'rtp_jitter'] as const;
export type IvrFaultMode = (typeof IVR_FAULT_MODES)[number];
const IVR_CALL_MODES: readonly string[] = ['busy', 'unavailable', 'no_answer', 'silence', 'rtp_loss', 'rtp_jitter'];
export const FAULT_MODES: readonly FaultMode[] = ['error', 'latency', 'hang', 'reset', ...SMSC_FAULT_MODES, ...IVR_FAULT_MODES];

export type FaultScope = { backend: string } | { channel: string; transaction?: string };

export const FAULT_DEFAULTS = Object.freeze({
  rate: 1,
  durationSeconds: 300,
  maxDurationSeconds: 86_400,
  maxLatencyMs: 600_000,
  /** Active faults at once; each request walks the list, and a runaway script should not make that slow. */
  maxActive: 1_000,
  /** The code a channel-scoped error fault answers with unless it names its own. */
  channelFailureCode: '5001',
});

/** A fault request as it arrives, once its schema has passed (see fault-api.ts). */
export interface FaultRequest {
  scope: { backend?: string; channel?: string; transaction?: string };
  mode: FaultMode;
  rate?: number;
  latencyMs?: number;
  durationSeconds?: number;
  httpStatus?: number;
  code?: string;
}

export interface Fault {
  id: string;
  scope: FaultScope;
  mode: FaultMode;
  rate: number;
  durationSeconds: number;
  latencyMs?: number;
  httpStatus?: number;
  /** Business code of an error fault, resolved (the override, or the backend's or channel's code). */
  code?: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface FaultView {
  id: string;
  scope: FaultScope;
  mode: FaultMode;
  rate: number;
  durationSeconds: number;
  latencyMs?: number;
  httpStatus?: number;
  code?: string;
  createdAt: string;
  expiresAt: string;
}

/** What the active faults do to one request: a delay first, then possibly a fault that ends it. */
export interface FaultEffect {
  delayMs: number;
  terminal: Fault | undefined;
}

export class FaultBook {
  private faults: Fault[] = [];
  private serial = 0;
  private readonly backendsOf: ReadonlyMap<string, readonly string[]>;

  constructor(
    private readonly config: Pick<Config, 'backends' | 'channels' | 'transactions'>,
    private readonly now: () => number,
  ) {
    this.backendsOf = new Map(config.transactions.map((t) => [t.id, t.backends]));
  }

  /** Adds a fault, or throws CH_SANDBOX_FAULT_INVALID / _LIMIT and changes nothing. */
  add(request: FaultRequest): Fault {
    const problems = checkFaultRequest(request, this.config);
    if (problems.length > 0) throw new SandboxError('CH_SANDBOX_FAULT_INVALID', problems);
    if (this.active().length >= FAULT_DEFAULTS.maxActive) {
      throw new SandboxError('CH_SANDBOX_FAULT_LIMIT', [{ path: '', message: `${FAULT_DEFAULTS.maxActive} faults are already active; DELETE /sandbox/faults to clear them` }]);
    }
    const { scope: s, mode } = request;
    const scope: FaultScope = s.backend !== undefined ? { backend: s.backend } : { channel: s.channel as string, ...(s.transaction !== undefined ? { transaction: s.transaction } : {}) };
    const durationSeconds = request.durationSeconds ?? FAULT_DEFAULTS.durationSeconds;
    const createdAtMs = this.now();
    this.serial += 1;
    const fault: Fault = {
      id: `fault-${this.serial}`,
      scope,
      mode,
      rate: request.rate ?? FAULT_DEFAULTS.rate,
      durationSeconds,
      ...(mode === 'latency' || mode === 'rtp_jitter' ? { latencyMs: request.latencyMs as number } : {}),
      ...(mode === 'error' && request.httpStatus !== undefined ? { httpStatus: request.httpStatus } : {}),
      ...(mode === 'error' ? { code: request.code ?? ('backend' in scope ? backendFailureCode(scope.backend) : FAULT_DEFAULTS.channelFailureCode) } : {}),
      createdAtMs,
      expiresAtMs: createdAtMs + durationSeconds * 1000,
    };
    this.faults.push(fault);
    return { ...fault };
  }

  /** Faults not yet expired, oldest first; expired ones are dropped here. */
  active(): Fault[] {
    const now = this.now();
    if (this.faults.some((f) => f.expiresAtMs <= now)) this.faults = this.faults.filter((f) => f.expiresAtMs > now);
    return this.faults.map((f) => ({ ...f }));
  }

  /** False when no active fault has this id (an expired one counts as gone). */
  remove(id: string): boolean {
    this.active();
    const index = this.faults.findIndex((f) => f.id === id);
    if (index < 0) return false;
    this.faults.splice(index, 1);
    return true;
  }

  clear(): number {
    const count = this.active().length;
    this.faults = [];
    return count;
  }

  /**
   * Decides what happens to one request. Each matching fault fires with its own rate; the delays
   * of firing latency faults add up, and the oldest firing error/hang/reset fault ends the request.
   * `transaction` is null for requests outside any transaction (login): only channel faults reach them.
   */
  effect(channel: string, transaction: string | null, random: () => number, modes?: ReadonlySet<FaultMode>): FaultEffect {
    const backends = transaction === null ? [] : (this.backendsOf.get(transaction) ?? []);
    let delayMs = 0;
    let terminal: Fault | undefined;
    for (const fault of this.active()) {
      const hits =
        'backend' in fault.scope
          ? backends.includes(fault.scope.backend)
          : fault.scope.channel === channel && (fault.scope.transaction === undefined || fault.scope.transaction === transaction);
      if (!hits || (modes && !modes.has(fault.mode)) || !(random() < fault.rate)) continue;
      if (fault.mode === 'latency') delayMs += fault.latencyMs ?? 0;
      else terminal ??= fault;
    }
    return { delayMs, terminal };
  }
}

export function faultView(fault: Fault): FaultView {
  const { createdAtMs, expiresAtMs, ...rest } = fault;
  return { ...rest, createdAt: new Date(createdAtMs).toISOString(), expiresAt: new Date(expiresAtMs).toISOString() };
}

/** The checks a schema cannot make: names against the config, and fields that belong together. */
export function checkFaultRequest(request: FaultRequest, config: Pick<Config, 'backends' | 'channels' | 'transactions'>): SandboxProblem[] {
  const problems: SandboxProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const { backend, channel, transaction } = request.scope;
  const known = (what: string, name: string, ids: readonly { id: string }[]) =>
    ids.some((x) => x.id === name) ? true : (problem(`scope.${what}`, `unknown ${what} "${name}" (known: ${ids.map((x) => x.id).join(', ')})`), false);

  if (backend !== undefined && (channel !== undefined || transaction !== undefined)) {
    problem('scope', 'give either backend, or channel with an optional transaction, not both');
  } else if (backend === undefined && channel === undefined) {
    if (transaction !== undefined) problem('scope.channel', 'is required with scope.transaction');
    else problem('scope', 'must name a backend, a channel, or a channel and a transaction');
  }
  if (backend !== undefined) known('backend', backend, config.backends);
  if (channel !== undefined) known('channel', channel, config.channels);
  if (transaction !== undefined) known('transaction', transaction, config.transactions);

  if ((SMSC_FAULT_MODES as readonly string[]).includes(request.mode)) {
    const target = config.channels.find((c) => c.id === channel);
    if (backend !== undefined || channel === undefined) problem('scope', `mode ${request.mode} is the SMSC's: scope it to an smpp channel`);
    else if (target && target.transport !== 'smpp') problem('scope.channel', `mode ${request.mode} is the SMSC's and channel "${channel}" uses transport ${target.transport}`);
    if (request.mode === 'bind_refused' && transaction !== undefined) problem('scope.transaction', 'a bind belongs to no transaction: bind_refused is scoped to the channel');
  }
  if ((IVR_FAULT_MODES as readonly string[]).includes(request.mode)) {
    const target = config.channels.find((c) => c.id === channel);
    if (backend !== undefined || channel === undefined) problem('scope', `mode ${request.mode} is the IVR's: scope it to a sip channel`);
    else if (target && target.transport !== 'sip') problem('scope.channel', `mode ${request.mode} is the IVR's and channel "${channel}" uses transport ${target.transport}`);
    if (IVR_CALL_MODES.includes(request.mode) && transaction !== undefined) problem('scope.transaction', `${request.mode} hits a call before a key says its transaction: scope it to the channel`);
    if (request.mode === 'rtp_jitter' && request.latencyMs === undefined) problem('latencyMs', 'is required with mode rtp_jitter (the most a packet is held)');
    if (request.mode === 'rtp_loss' && request.rate === undefined) problem('rate', 'is required with mode rtp_loss (the share of packets lost)');
  }
  // Per mode, only the fields the mode uses are held to its rules; the others were checked for
  // their shape by the schema and are then ignored (see unusedFields), never a reason to refuse.
  if (request.mode === 'latency') {
    if (request.latencyMs === undefined) problem('latencyMs', 'is required with mode latency');
    else if (request.latencyMs < 1) problem('latencyMs', 'must be >= 1 with mode latency');
  }
  if (request.mode === 'error' && request.code === '0000') problem('code', '"0000" means success; an error fault needs a failure code');
  return problems;
}

/** Which mode uses which optional field; rate and durationSeconds apply to every mode. */
const FIELDS_OF_MODE: Record<FaultMode, ReadonlyArray<'latencyMs' | 'httpStatus' | 'code'>> = {
  error: ['httpStatus', 'code'],
  latency: ['latencyMs'],
  hang: [],
  reset: [],
  throttle: [],
  bind_refused: [],
  no_reply: [],
  bad_reply: [],
  busy: [],
  unavailable: [],
  no_answer: [],
  silence: [],
  wrong_prompt: [],
  rtp_loss: [],
  rtp_jitter: ['latencyMs'],
};

/** Fields given that the request's mode does not use: accepted, ignored, and named in the answer. */
export function unusedFields(request: FaultRequest): string[] {
  return (['latencyMs', 'httpStatus', 'code'] as const).filter((f) => request[f] !== undefined && !FIELDS_OF_MODE[request.mode].includes(f));
}
