// SIP transport: a run is one call to the hotline, as a customer makes it. The first step dials
// (from the test account's number, through the channel's trunk, digest when challenged), later
// steps press keys as RFC 4733 events, and each step may say which prompts must be heard next,
// by name, with `<group>` slots for values read out as digit prompts (a regex group on a web
// reply). Phases: postDial (INVITE → first 180/183), answer (INVITE → 200), firstPrompt (answer
// → the first prompt starts), response (last key → the next prompt starts), call (INVITE → the
// end, on the hang-up step). A final SIP status fails with http_status (the transport's own
// status) and the status in the detail; no answer by the deadline is `timeout`; a prompt other
// than the one expected fails `assertion` naming what was heard; silence fails as such.
// The channel's trunk holds `sip.trunkLines` calls per location at once (trunk capacity).
import { performance } from 'node:perf_hooks';
import { DIGIT_PROMPTS, parseSipUrl } from '../../config/transport-sip.js';
import { isSipStep, type Channel, type SecretRef, type SipStep, type Step } from '../../config/index.js';
import { synthesisePrompt } from '../../telephony/prompt-voice.js';
import type { Logger } from '../../logging/logger.js';
import { latencyProblem } from '../assertions.js';
import { firstSound, PromptMatcher } from './sip/prompt-match.js';
import { SipCall, type CallSetup } from './sip/user-agent.js';
import type { PreparedStep, Prober, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';

export interface SipProberDeps {
  /** Resolves the trunk password's secret reference, when a challenge asks for it. */
  readSecret?: (ref: SecretRef, where: string) => string;
  log?: Logger;
  /** The address calls are placed from when the trunk is not on loopback (its SDP carries it). */
  localAddress?: string;
}

export const SIP_PROBE_DEFAULTS = Object.freeze({
  /** No sound this long where a prompt is expected: the call is silent. */
  silenceMs: 4000,
  /** A value has ended after this much silence following its last digit. */
  valueEndMs: 700,
  /** How often received audio is looked at while listening. */
  pollMs: 60,
  keyMs: 100,
  keyGapMs: 60,
});

const RATE = 8000;
const DIGIT_IDS = new Set(Object.keys(DIGIT_PROMPTS));
const REFERENCE_MS = 1200;

/**
 * Where what follows a heard prompt can start. The match covers only the prompt's first words
 * (and a pause inside it looks like the pause after it), so the rest is skipped by its known
 * length: the references are the recordings the IVR plays. Audio is laid out by RTP timestamp,
 * so jitter and loss do not move this; 20 ms before the end lands in the prompt's own trailing
 * silence.
 */
function after(heard: { id: string; startSample: number; endSample: number }, voice: ChannelVoice): number {
  const length = voice.length.get(heard.id);
  return length === undefined ? heard.endSample : heard.startSample + length - 160;
}

const failed = (reason: StepOutcome['reason'], detail: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({
  ok: false, reason, detail, businessCode: null, status: null, extracted: {}, connectMs: 0, ttfbMs: 0, ...extra,
});

/** A counting semaphore: the trunk's lines for probe calls at one location. */
class TrunkLines {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly lines: number) {}

  /** A line, or false when the signal aborts first. */
  async take(signal: AbortSignal): Promise<boolean> {
    if (this.busy < this.lines) {
      this.busy++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const give = () => {
        signal.removeEventListener('abort', onAbort);
        this.busy++;
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(give);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      if (signal.aborted) return resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(give);
    });
  }

  give(): void {
    this.busy--;
    this.waiting.shift()?.();
  }
}

interface ChannelVoice {
  matcher: PromptMatcher;
  /** Each prompt's length in samples: a match covers only its first REFERENCE_MS, the rest is skipped. */
  length: Map<string, number>;
  /** Samples a prompt must have been heard for before it is judged (its length, with slack for pace). */
  need: Map<string, number>;
}

function voiceOf(channel: Channel): ChannelVoice {
  const prompts = channel.sip?.prompts ?? {};
  const references = Object.entries(prompts).map(([id, text]) => ({ id, samples: synthesisePrompt(text) }));
  // The first 1.2 s of a prompt tells it from the others; waiting for more only slows each step.
  const need = new Map(references.map((r) => [r.id, Math.round(Math.min(r.samples.length, REFERENCE_MS * 8) * 1.3) + 800]));
  return { matcher: new PromptMatcher(references, { maxReferenceMs: REFERENCE_MS }), need, length: new Map(references.map((r) => [r.id, r.samples.length])) };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

type Heard = { ok: true; values: Record<string, string>; firstAt: number | null } | { ok: false; reason: StepOutcome['reason']; detail: string };

/** Listens on `call` from sample `from` for the step's expected prompts and values. */
async function listen(call: SipCall, voice: ChannelVoice, busy: ReadonlySet<string>, step: SipStep, from: number, signal: AbortSignal): Promise<Heard & { to?: number }> {
  const tokens = step.sip.expect ?? [];
  const values: Record<string, string> = {};
  let at = from;
  let firstAt: number | null = null;
  const startedAt = performance.now();
  let hungUp = false;
  void call.remoteHangup.then(() => (hungUp = true));
  for (const [index, token] of tokens.entries()) {
    if (token.kind === 'prompt') {
      let lastSoundCheck = performance.now();
      for (;;) {
        if (signal.aborted) return { ok: false, reason: 'timeout', detail: `check timeout reached listening for prompt "${token.name}"${index === 0 && at === from ? ' (nothing heard)' : ''}` };
        const audio = call.audio.samples();
        const onset = firstSound(audio, at);
        if (onset < 0) {
          if (hungUp) return { ok: false, reason: 'assertion', detail: `the IVR hung up before prompt "${token.name}"` };
          if (performance.now() - Math.max(startedAt, lastSoundCheck) > SIP_PROBE_DEFAULTS.silenceMs) {
            return { ok: false, reason: 'assertion', detail: `silence: no prompt within ${SIP_PROBE_DEFAULTS.silenceMs} ms where "${token.name}" was expected` };
          }
          await sleep(SIP_PROBE_DEFAULTS.pollMs, signal);
          continue;
        }
        lastSoundCheck = performance.now();
        if (audio.length - onset < (voice.need.get(token.name) ?? 2 * RATE) && !hungUp) {
          await sleep(SIP_PROBE_DEFAULTS.pollMs, signal);
          continue;
        }
        const heard = voice.matcher.identify(audio, onset);
        if (heard.kind === 'silence') continue;
        if (heard.kind === 'unknown') return { ok: false, reason: 'assertion', detail: `expected prompt "${token.name}", heard no known prompt (nearest "${heard.nearest}", cost ${heard.cost.toFixed(2)})` };
        if (heard.id !== token.name) {
          const refused = busy.has(heard.id);
          return { ok: false, reason: refused ? 'business_error' : 'assertion', detail: `expected prompt "${token.name}", heard "${heard.id}"${refused ? ' (the IVR\'s refusal)' : ''}` };
        }
        if (firstAt === null) firstAt = call.audio.arrivalAt(heard.startSample);
        at = after(heard, voice);
        break;
      }
      continue;
    }
    // A value: digit prompts one after another, ended by another sound or by a pause.
    let value = '';
    let stoppedBy = '';
    for (;;) {
      if (signal.aborted) return { ok: false, reason: 'timeout', detail: `check timeout reached reading <${token.group}>` };
      const audio = call.audio.samples();
      const onset = firstSound(audio, at);
      const quietFor = (onset < 0 ? audio.length - at : onset - at) / RATE * 1000;
      if (value !== '' && quietFor >= SIP_PROBE_DEFAULTS.valueEndMs) break;
      if (onset < 0) {
        if (hungUp) break;
        if (value === '' && quietFor > SIP_PROBE_DEFAULTS.silenceMs) return { ok: false, reason: 'assertion', detail: `silence: nothing read out for <${token.group}>` };
        await sleep(SIP_PROBE_DEFAULTS.pollMs, signal);
        continue;
      }
      if (audio.length - onset < 0.6 * RATE && !hungUp) {
        await sleep(SIP_PROBE_DEFAULTS.pollMs, signal);
        continue;
      }
      const heard = voice.matcher.identify(audio, onset, DIGIT_IDS);
      if (heard.kind !== 'prompt') {
        // Another prompt follows the value; which one it is sounds like is told if no digit came.
        const other = voice.matcher.identify(audio, onset);
        stoppedBy = other.kind === 'prompt' ? `"${other.id}"` : other.kind === 'unknown' ? `no known prompt (nearest "${other.nearest}")` : 'silence';
        break;
      }
      value += DIGIT_PROMPTS[heard.id] ?? '';
      at = after(heard, voice);
      if (value.length > 32) return { ok: false, reason: 'assertion', detail: `<${token.group}> goes on for more than 32 digits` };
    }
    if (value === '' || !/[0-9]/.test(value)) return { ok: false, reason: 'assertion', detail: `no value read out for <${token.group}>${stoppedBy ? `: heard ${stoppedBy}` : ''}` };
    values[token.group] = value;
  }
  return { ok: true, values, firstAt, to: at };
}

export interface SipProber {
  prober: Prober;
  /**
   * Builds the prompt references of these channels' sip prompts now (a few hundred ms of CPU for
   * a full menu), so the first scheduled call does not hold the event loop while other checks are
   * due. A channel not prepared is built at its first call.
   */
  prepare(channels: readonly Channel[]): void;
  close(): Promise<void>;
}

export function createSipProber(deps: SipProberDeps = {}): SipProber {
  const trunks = new Map<string, TrunkLines>();
  const voices = new Map<string, ChannelVoice>();
  const live = new Set<SipCall>();

  const prober: Prober = (target: ProbeTarget): ProbeSession => {
    const settings = target.channel.sip;
    let call: SipCall | null = null;
    let setup: CallSetup | null = null;
    let heldLine: TrunkLines | null = null;
    let listenFrom = 0;

    const voice = () => {
      let v = voices.get(target.channel.id);
      if (!v) {
        v = voiceOf(target.channel);
        voices.set(target.channel.id, v);
      }
      return v;
    };

    const dial = async (msisdn: string, signal: AbortSignal): Promise<StepOutcome | null> => {
      if (!settings) return failed('internal', `channel ${target.channel.id} has no sip settings`);
      const trunk = parseSipUrl(target.baseUrl);
      if (!trunk) return failed('connect', `channel ${target.channel.id}: "${target.baseUrl}" is not sip:HOST:PORT`);
      const key = `${target.channel.id}\u0000${target.location}`;
      let lines = trunks.get(key);
      if (!lines) {
        lines = new TrunkLines(settings.trunkLines);
        trunks.set(key, lines);
      }
      const waitStarted = performance.now();
      if (!(await lines.take(signal))) return failed('timeout', `check timeout reached waiting for one of the ${settings.trunkLines} trunk lines`);
      heldLine = lines;
      const connectMs = performance.now() - waitStarted;
      const loopback = trunk.host === '127.0.0.1' || trunk.host === '::1' || trunk.host === 'localhost';
      const localAddress = loopback ? (trunk.host === '::1' ? '::1' : '127.0.0.1') : (deps.localAddress ?? '0.0.0.0');
      const host = trunk.host.includes(':') ? `[${trunk.host}]` : trunk.host;
      call = new SipCall({
        server: { host: trunk.host === 'localhost' ? '127.0.0.1' : trunk.host, port: trunk.port },
        requestUri: `sip:${settings.number}@${host}:${trunk.port}`,
        from: `sip:${msisdn}@${localAddress.includes(':') ? `[${localAddress}]` : localAddress}`,
        localAddress,
        credentials: settings.credentials,
        ...(deps.readSecret ? { readSecret: deps.readSecret } : {}),
        clock: () => performance.now(),
      });
      live.add(call);
      setup = await call.dial(signal);
      const t = setup.timings;
      const phases: Record<string, number> = {};
      if (t.ringingAt !== null) phases.postDial = t.ringingAt - t.invitedAt;
      if (t.answeredAt !== null) phases.answer = t.answeredAt - t.invitedAt;
      if (!setup.ok) {
        const extra = { connectMs, phases, status: setup.status };
        if (setup.kind === 'timeout') return failed('timeout', `SIP: ${setup.detail}`, extra);
        if (setup.kind === 'unreachable') return failed('connect', `SIP: ${setup.detail}`, extra);
        if (setup.kind === 'rejected') return failed('http_status', setup.detail, extra);
        return failed('assertion', `SIP answer unusable: ${setup.detail}`, extra);
      }
      listenFrom = 0;
      return { ok: true, reason: null, detail: null, businessCode: null, status: 200, extracted: {}, connectMs, ttfbMs: phases.answer ?? 0, phases };
    };

    return {
      prepare(step: Step, render: StepRenderer): PreparedStep {
        if (!isSipStep(step)) throw new Error(`step "${step.name}" is not a sip step; the sip prober cannot send it`);
        const msisdn = render.text('{{account.msisdn}}');
        const keys = step.sip.keys !== null ? render.text(step.sip.keys) : null;
        if (keys !== null && !/^[0-9*#A-D]+$/.test(keys)) throw new Error(`sip.press renders to "${keys}", which has characters that are not keys`);
        const placesCall = step.sip.action === 'dial' || (call === null && step.sip.action === 'press');
        return {
          outbound: { url: target.baseUrl, body: JSON.stringify({ number: settings?.number ?? '', ...(keys !== null ? { keys } : {}), ...(step.sip.amount !== null ? { amount: step.sip.amount } : {}) }) },
          paced: placesCall,
          async send(signal: AbortSignal): Promise<StepOutcome> {
            const started = performance.now();
            let outcome: StepOutcome = { ok: true, reason: null, detail: null, businessCode: null, status: null, extracted: {}, connectMs: 0, ttfbMs: 0, phases: {} };
            if (placesCall) {
              if (call !== null) return failed('internal', 'the call is already placed: one call per run');
              const dialled = await dial(msisdn, signal);
              if (dialled && !dialled.ok) return dialled;
              if (dialled) outcome = dialled;
            } else if (call === null || setup === null || !setup.ok) {
              return failed('internal', 'no call is up: a sip flow dials in its first step');
            }
            const active = call as SipCall;
            const phases: Record<string, number> = { ...(outcome.phases ?? {}) };
            if (step.sip.action === 'hangup') {
              const { byeStatus } = await active.hangup();
              live.delete(active);
              heldLine?.give();
              heldLine = null;
              const invitedAt = setup?.timings.invitedAt ?? started;
              phases.call = performance.now() - invitedAt;
              return { ...outcome, status: byeStatus, phases };
            }
            let keysDoneAt: number | null = null;
            if (keys !== null) {
              const last = keys.slice(-1);
              if (keys.length > 1) await active.sendDigits(keys.slice(0, -1), { durationMs: SIP_PROBE_DEFAULTS.keyMs, gapMs: SIP_PROBE_DEFAULTS.keyGapMs });
              await active.sendDigits(last, { durationMs: SIP_PROBE_DEFAULTS.keyMs, gapMs: 0 });
              keysDoneAt = performance.now();
              // Heard from the last key on: the prompt the keys cut short is not the answer.
              listenFrom = active.audio.samples().length;
            }
            if (step.sip.expect !== null) {
              const heard = await listen(active, voice(), new Set(settings?.busyPrompts ?? []), step, listenFrom, signal);
              if (!heard.ok) return { ...outcome, ok: false, reason: heard.reason, detail: heard.detail, phases };
              if (heard.to !== undefined) listenFrom = heard.to;
              if (heard.firstAt !== null) {
                if (keysDoneAt !== null) phases.response = Math.max(0, heard.firstAt - keysDoneAt);
                else if (setup?.timings.answeredAt != null) phases.firstPrompt = Math.max(0, heard.firstAt - setup.timings.answeredAt);
              }
              const extracted: Record<string, string> = {};
              for (const [name, group] of Object.entries(step.extract)) extracted[name] = heard.values[group] ?? '';
              outcome = { ...outcome, extracted };
            }
            const slow = latencyProblem(step.assert.maxLatencyMs, performance.now() - started);
            if (slow) return { ...outcome, ok: false, reason: 'assertion', detail: slow, phases };
            return { ...outcome, phases };
          },
        };
      },
      async close() {
        // The call ends with the run, however far it got (BYE, or CANCEL while ringing).
        if (call) {
          await call.hangup().catch(() => undefined);
          live.delete(call);
        }
        heldLine?.give();
        heldLine = null;
      },
    };
  };

  return {
    prober,
    prepare(channels) {
      for (const channel of channels) if (channel.transport === 'sip' && !voices.has(channel.id)) voices.set(channel.id, voiceOf(channel));
    },
    async close() {
      await Promise.all([...live].map((c) => c.hangup().catch(() => undefined)));
      live.clear();
    },
  };
}
