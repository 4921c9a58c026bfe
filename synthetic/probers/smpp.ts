// SMPP transport: a step texts a command from the test account's number to the SMS hall's
// service number over the channel's shared transceiver bind (smpp-bind.ts) and waits for the
// reply addressed to that number, correlated to this submit. Phases: submit → submit_sm_resp,
// submit → reply, total. A non-zero command_status fails the step with its name (reason
// http_status: the transport's own status); no bind is `connect`; no reply by the deadline is
// `timeout`; a refusal the channel's business-code rule recognises is `business_error`.
import { performance } from 'node:perf_hooks';
import { isSmsStep, type SecretRef, type SmppChannelSettings, type Step } from '../../config/index.js';
import { parseSmppUrl } from '../../config/transport-smpp.js';
import type { Logger } from '../../logging/logger.js';
import { BindUnavailableError, commandStatusName, SmppBind, type BindState } from './smpp-bind.js';
import { judgeSmsReply } from './smpp-judge.js';
import type { PreparedStep, Prober, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';

/** GSM 03.38 basic character set: a text of only these goes as GSM 7-bit, else as UCS2. */
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà]*$/u;
const DATA_CODING = { gsm7: 0x00, ucs2: 0x08 } as const;
const SINGLE_PART_LIMIT = { gsm7: 160, ucs2: 70 } as const;

export function dataCodingFor(text: string): 'gsm7' | 'ucs2' {
  return GSM7.test(text) ? 'gsm7' : 'ucs2';
}

export interface SmppProberDeps {
  /** Resolves the bind password's secret reference; without it no bind is attempted. */
  readSecret?: (ref: SecretRef, where: string) => string;
  /** Told every change of a bind's state (the bind-state gauge). */
  onBindState?: (channel: string, location: string, state: BindState) => void;
  log?: Logger;
  /** Bound on connecting and binding (5 s by default). */
  bindTimeoutMs?: number;
}

export interface SmppProber {
  prober: Prober;
  /** The binds' states now, by channel and location. */
  states(): Array<{ channel: string; location: string; state: BindState }>;
  /** Unbinds every bind. */
  close(): Promise<void>;
}

const failed = (reason: StepOutcome['reason'], detail: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({
  ok: false,
  reason,
  detail,
  businessCode: null,
  status: null,
  extracted: {},
  connectMs: 0,
  ttfbMs: 0,
  ...extra,
});

export function createSmppProber(deps: SmppProberDeps = {}): SmppProber {
  const binds = new Map<string, { channel: string; location: string; bind: SmppBind }>();
  const log = deps.log?.child({ component: 'smpp' });

  const bindFor = (target: ProbeTarget, settings: SmppChannelSettings): SmppBind | string => {
    const key = `${target.channel.id}\u0000${target.location}\u0000${target.baseUrl}`;
    const existing = binds.get(key);
    if (existing) return existing.bind;
    const address = parseSmppUrl(target.baseUrl);
    if (!address) return `channel ${target.channel.id}: "${target.baseUrl}" is not smpp://HOST:PORT`;
    if (!deps.readSecret) return 'no secret reader: this process cannot resolve the bind password';
    let password: string;
    try {
      password = deps.readSecret(settings.password, `channels.${target.channel.id}.smpp.password`);
    } catch (err) {
      return (err as Error).message;
    }
    const bind = new SmppBind(
      { ...address, systemId: settings.systemId, password, systemType: settings.systemType, enquireLinkMs: settings.enquireLinkMs, window: settings.window, rebindMaxMs: settings.rebindMaxMs, ...(deps.bindTimeoutMs ? { bindTimeoutMs: deps.bindTimeoutMs } : {}) },
      (state) => deps.onBindState?.(target.channel.id, target.location, state),
      log?.child({ channel: target.channel.id }),
    );
    binds.set(key, { channel: target.channel.id, location: target.location, bind });
    deps.onBindState?.(target.channel.id, target.location, 'down');
    return bind;
  };

  const prober: Prober = (target: ProbeTarget): ProbeSession => ({
    prepare(step: Step, render: StepRenderer): PreparedStep {
      if (!isSmsStep(step)) throw new Error(`step "${step.name}" is not an sms step; the smpp prober cannot send it`);
      const settings = target.channel.smpp;
      if (!settings) throw new Error(`channel ${target.channel.id} has no smpp settings`);
      const text = render.text(step.sms.text);
      const msisdn = render.text('{{account.msisdn}}');
      const coding = dataCodingFor(text);
      return {
        outbound: { url: `${target.baseUrl.replace(/\/$/, '')}/${settings.serviceNumber}`, body: JSON.stringify(step.sms.amount !== null ? { text, amount: step.sms.amount } : { text }) },
        async send(signal: AbortSignal): Promise<StepOutcome> {
          if (text.length > SINGLE_PART_LIMIT[coding]) return failed('internal', `the command is ${text.length} characters; one ${coding} SMS holds ${SINGLE_PART_LIMIT[coding]}`);
          const bind = bindFor(target, settings);
          if (typeof bind === 'string') return failed('connect', bind);
          const waitStarted = performance.now();
          if (!(await bind.ready(signal))) {
            if (signal.aborted) return failed('timeout', 'check timeout reached while binding to the SMSC');
            return failed('connect', `no SMPP bind to ${target.baseUrl}: ${bind.problem}`);
          }
          const connectMs = performance.now() - waitStarted;
          const reference = bind.nextReference();
          const reply = bind.expectReply(msisdn, reference, signal);
          const started = performance.now();
          let answer;
          try {
            answer = await bind.submit(
              {
                source_addr_ton: settings.addressTon,
                source_addr_npi: settings.addressNpi,
                source_addr: msisdn,
                dest_addr_ton: settings.addressTon,
                dest_addr_npi: settings.addressNpi,
                destination_addr: settings.serviceNumber,
                registered_delivery: 0,
                data_coding: DATA_CODING[coding],
                short_message: { message: text },
                user_message_reference: reference,
              },
              signal,
            );
          } catch (err) {
            if (signal.aborted) return failed('timeout', 'check timeout reached before submit_sm_resp', { connectMs });
            if (err instanceof BindUnavailableError) return failed('connect', err.message, { connectMs });
            throw err;
          }
          const submitResp = performance.now() - started;
          const phases: Record<string, number> = { submitResp };
          if (answer.commandStatus !== 0) {
            return failed('http_status', `submit_sm refused: ${commandStatusName(answer.commandStatus)}`, { status: answer.commandStatus, connectMs, ttfbMs: submitResp, phases });
          }
          const got = await reply;
          if (!got) return failed('timeout', `no reply to the test number within the check timeout (submit_sm accepted as ${answer.messageId ?? 'no message_id'})`, { status: 0, connectMs, ttfbMs: submitResp, phases });
          phases.reply = performance.now() - started;
          const verdict = judgeSmsReply(step, { text: got.text, durationMs: phases.reply }, target.channel.businessCode);
          const base = { status: 0, connectMs, ttfbMs: submitResp, phases, businessCode: verdict.businessCode };
          if (verdict.ok) return { ...base, ok: true, reason: null, detail: null, extracted: verdict.extracted };
          return { ...base, ok: false, reason: verdict.reason, detail: verdict.detail, extracted: {} };
        },
      };
    },
    async close() {
      // The bind outlives the run: it is the channel's, shared by every SMS check.
    },
  });

  return {
    prober,
    states: () => [...binds.values()].map((b) => ({ channel: b.channel, location: b.location, state: b.bind.state })),
    async close() {
      await Promise.all([...binds.values()].map((b) => b.bind.close()));
      binds.clear();
    },
  };
}
