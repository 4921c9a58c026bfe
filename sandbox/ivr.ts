// The sandbox IVR: a SIP user agent server on its own loopback UDP port in front of the hotline
// menu (ivr-menu.ts). It answers calls to a sip channel's number from a test subscriber (caller
// ID: the From number), with digest authentication when the channel has trunk credentials,
// speaks G.711 (µ-law or A-law, as offered) in a continuous 20 ms RTP stream, and takes keys as
// RFC 4733 telephone events: a key's first packet cuts the prompt short (barge-in), its end
// packet acts. Faults come from the sandbox's one fault book (/sandbox/faults), scoped to the
// channel: busy (486), unavailable (503), no_answer, silence, latency (a slow answer, and slow
// menu answers), wrong_prompt, rtp_loss, rtp_jitter; error (channel or backend) and hang on a
// menu answer make it say "system busy" or nothing; reset hangs up.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parseDigestCredentials, verifyDigest, type DigestChallenge } from '../telephony/digest.js';
import { encodeG711 } from '../telephony/g711.js';
import { synthesisePrompt } from '../telephony/prompt-voice.js';
import { dtmfDigit, encodeRtp, decodeRtp, parseTelephoneEvent } from '../telephony/rtp.js';
import { parseSdpMedia, PT_PCMA, PT_PCMU } from '../telephony/sdp.js';
import { header, headerUri, parseCSeq, parseSipMessage, serializeSipMessage, type SipRequest } from '../telephony/sip-message.js';
import type { Logger } from '../logging/logger.js';
import type { FaultMode } from './faults.js';
import { IVR_PROMPTS, IvrMenu, type MenuAnswer, type Utterance } from './ivr-menu.js';
import type { SandboxState } from './state.js';

/** One sip channel the IVR answers for: its number and, when set, its trunk credentials (password resolved). */
export interface IvrLine {
  channel: string;
  number: string;
  username: string | null;
  password: string | null;
}

export interface IvrOptions {
  state: SandboxState;
  lines: readonly IvrLine[];
  log?: Logger;
  /** How long the phone rings before the answer (a real switch takes a moment too). */
  ringMs?: number;
  /** A call is hung up by the IVR after this long (a probe that never hangs up). */
  maxCallMs?: number;
}

export interface SandboxIvr {
  /** sip:host:port once listening: the trunk a probe sends its calls to. */
  url: string;
  port: number;
  /** Calls not yet ended. */
  activeCalls(): number;
  close(): Promise<void>;
}

export const IVR_DEFAULTS = Object.freeze({ ringMs: 60, maxCallMs: 120_000, ringTimeoutMs: 120_000, processingMs: 300, gapMs: 120, t1Ms: 500, realm: 'channel-health-sandbox' });

const SETUP_MODES: ReadonlySet<FaultMode> = new Set(['busy', 'unavailable', 'no_answer', 'hang', 'silence', 'latency']);
const MENU_MODES: ReadonlySet<FaultMode> = new Set(['error', 'latency', 'hang', 'reset', 'wrong_prompt']);
/** What a wrong_prompt fault plays instead: another prompt of the same IVR, so a probe can name it. */
const WRONG: Readonly<Record<string, string>> = { welcome: 'agent', balance_is: 'bill_is', bill_is: 'balance_is', topup_done: 'refund_done', refund_done: 'topup_done' };

interface Call {
  callId: string;
  line: IvrLine;
  msisdn: string;
  invite: SipRequest;
  signalling: { address: string; port: number };
  toTag: string;
  phase: 'proceeding' | 'answered' | 'confirmed' | 'ended';
  lastInviteResponse: string | null;
  rtp: dgram.Socket;
  peer: { address: string; port: number };
  payloadType: number;
  codec: 'pcmu' | 'pcma';
  telephoneEvent: number | null;
  menu: IvrMenu;
  playing: Int16Array | null;
  playAt: number;
  mediaStart: number;
  sent: number;
  seq: number;
  timestampBase: number;
  ssrc: number;
  silent: boolean;
  loss: number;
  jitterMs: number;
  timers: Set<NodeJS.Timeout>;
  /** Responses waiting to be spoken (cancelled by a barge-in). */
  pending: Set<NodeJS.Timeout>;
  keysStarted: Set<number>;
  keysEnded: Set<number>;
}

const tag = () => randomBytes(4).toString('hex');

export async function startSandboxIvr(opts: IvrOptions, host = '127.0.0.1', port = 0): Promise<SandboxIvr> {
  const { state, log } = opts;
  const ringMs = opts.ringMs ?? IVR_DEFAULTS.ringMs;
  const maxCallMs = opts.maxCallMs ?? IVR_DEFAULTS.maxCallMs;
  const voice = new Map<string, Int16Array>();
  const promptAudio = (name: string): Int16Array => {
    let samples = voice.get(name);
    if (!samples) {
      samples = synthesisePrompt(IVR_PROMPTS[name] ?? name);
      voice.set(name, samples);
    }
    return samples;
  };
  // Made before the first call rather than inside it: the menu's prompts take a few hundred ms of
  // CPU, which would hold the event loop of the process the sandbox shares with `run`'s probes.
  for (const name of Object.keys(IVR_PROMPTS)) promptAudio(name);
  const calls = new Map<string, Call>();
  const nonces = new Map<string, number>();
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(family);
  socket.on('error', (err) => log?.debug({ err }, 'sandbox IVR socket error'));
  const serverTimers = new Set<NodeJS.Timeout>();
  const localHost = host.includes(':') ? `[${host}]` : host;

  const later = (set: Set<NodeJS.Timeout>, ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      set.delete(timer);
      fn();
    }, ms);
    set.add(timer);
    return timer;
  };

  const send = (text: string, to: { address: string; port: number }) => {
    try {
      socket.send(text, to.port, to.address);
    } catch {
      // closing: the call is over either way
    }
  };

  const respond = (request: SipRequest, to: { address: string; port: number }, status: number, reason: string, opts2: { toTag?: string; extra?: Array<[string, string]>; body?: string } = {}): string => {
    const toValue = header(request, 'to') ?? '';
    const headers: Array<[string, string]> = [
      ...request.headers.filter(([n]) => n === 'via'),
      ['from', header(request, 'from') ?? ''],
      ['to', opts2.toTag && !/;\s*tag=/i.test(toValue) ? `${toValue};tag=${opts2.toTag}` : toValue],
      ['call-id', header(request, 'call-id') ?? ''],
      ['cseq', header(request, 'cseq') ?? ''],
      ...(opts2.extra ?? []),
    ];
    if (opts2.body) headers.push(['content-type', 'application/sdp']);
    const text = serializeSipMessage({ kind: 'response', status, reason, headers, body: opts2.body ?? '' });
    send(text, to);
    return text;
  };

  // --- media: one clock for every call, so twenty calls cost one timer -------------------------
  const tick = setInterval(() => {
    const now = performance.now();
    for (const call of calls.values()) if (call.phase === 'confirmed') pump(call, now);
  }, 20);

  const pump = (call: Call, now: number) => {
    const due = Math.floor((now - call.mediaStart) / 20) + 1 - call.sent;
    // After a stalled event loop the stream catches up, keeping its timeline (timestamps) whole.
    for (let i = 0; i < Math.min(due, 50); i++) {
      const frame = new Int16Array(160);
      if (call.playing && !call.silent) {
        frame.set(call.playing.subarray(call.playAt, call.playAt + 160));
        call.playAt += 160;
        if (call.playAt >= call.playing.length) call.playing = null;
      }
      const packet = encodeRtp({ payloadType: call.payloadType, marker: call.sent === 0, sequence: (call.seq + call.sent) & 0xffff, timestamp: (call.timestampBase + call.sent * 160) >>> 0, ssrc: call.ssrc, payload: encodeG711(frame, call.codec) });
      call.sent++;
      if (call.loss > 0 && state.random() < call.loss) continue;
      const out = () => {
        try {
          call.rtp.send(packet, call.peer.port, call.peer.address);
        } catch {
          // the call ended meanwhile
        }
      };
      if (call.jitterMs > 0) later(call.timers, state.random() * call.jitterMs, out);
      else out();
    }
  };

  const speak = (call: Call, words: Utterance[]) => {
    const gap = new Int16Array((IVR_DEFAULTS.gapMs * 8000) / 1000);
    const parts: Int16Array[] = [];
    for (const w of words) {
      const names = 'prompt' in w ? [w.prompt] : [...w.number].map((c) => (c === '.' ? 'point' : c));
      for (const name of names) parts.push(promptAudio(name), gap);
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const audio = new Int16Array(total);
    parts.reduce((at, p) => (audio.set(p, at), at + p.length), 0);
    call.playing = audio;
    call.playAt = 0;
  };

  const answer = (call: Call, reply: MenuAnswer) => {
    // The key acts now (the menu moves on, money moves); only the words wait, so a key pressed
    // before they start (barge-in, or keys typed ahead) finds the menu where the caller put it.
    const effect = state.faults.effect(call.line.channel, reply.transaction, state.random, MENU_MODES);
    const fault = effect.terminal;
    let words: Utterance[] | null = null;
    if (fault?.mode === 'error') words = [{ prompt: 'system_busy' }, { prompt: 'menu' }];
    else if (fault?.mode !== 'hang' && fault?.mode !== 'reset') {
      try {
        words = reply.run();
      } catch (err) {
        log?.error({ err }, 'sandbox IVR menu failed');
        words = [{ prompt: 'system_busy' }, { prompt: 'menu' }];
      }
      if (fault?.mode === 'wrong_prompt' && words[0] && 'prompt' in words[0]) words = [{ prompt: WRONG[words[0].prompt] ?? 'cancelled' }, ...words.slice(1)];
    }
    later(call.pending, IVR_DEFAULTS.processingMs + effect.delayMs, () => {
      if (call.phase !== 'confirmed') return;
      if (fault?.mode === 'reset') return hangUp(call);
      if (words) speak(call, words);
    });
  };

  const onKey = (call: Call, datagram: Buffer) => {
    const packet = decodeRtp(datagram);
    if (!packet || packet.payloadType !== call.telephoneEvent) return;
    const event = parseTelephoneEvent(packet.payload);
    if (!event) return;
    if (!call.keysStarted.has(packet.timestamp)) {
      call.keysStarted.add(packet.timestamp);
      // Barge-in: a key stops what is being said and what was about to be.
      call.playing = null;
      for (const t of call.pending) clearTimeout(t);
      call.pending.clear();
    }
    if (!event.end || call.keysEnded.has(packet.timestamp)) return;
    call.keysEnded.add(packet.timestamp);
    const digit = dtmfDigit(event.event);
    if (digit === null || call.phase !== 'confirmed') return;
    const reply = call.menu.press(digit);
    if (reply) answer(call, reply);
  };

  const endCall = (call: Call) => {
    if (call.phase === 'ended') return;
    call.phase = 'ended';
    for (const t of [...call.timers, ...call.pending]) clearTimeout(t);
    call.timers.clear();
    call.pending.clear();
    try {
      call.rtp.close();
    } catch {
      // already closed
    }
    // Kept a moment so retransmitted requests of the call still find it, then forgotten.
    later(serverTimers, 32 * IVR_DEFAULTS.t1Ms, () => calls.delete(call.callId));
  };

  const hangUp = (call: Call) => {
    const contact = headerUri(header(call.invite, 'contact')) ?? headerUri(header(call.invite, 'from')) ?? '';
    const bye = serializeSipMessage({
      kind: 'request', method: 'BYE', uri: contact, body: '',
      headers: [
        ['via', `SIP/2.0/UDP ${localHost}:${actualPort};branch=z9hG4bK${tag()}${tag()}`], ['max-forwards', '70'],
        ['from', `${header(call.invite, 'to') ?? ''};tag=${call.toTag}`], ['to', header(call.invite, 'from') ?? ''],
        ['call-id', call.callId], ['cseq', '1 BYE'],
      ],
    });
    send(bye, call.signalling);
    endCall(call);
  };

  const challenge = (realmNonce: string): DigestChallenge => ({ realm: IVR_DEFAULTS.realm, nonce: realmNonce, algorithm: 'MD5', qop: ['auth'] });

  const onInvite = async (request: SipRequest, from: { address: string; port: number }) => {
    const callId = header(request, 'call-id') ?? '';
    const existing = calls.get(callId);
    if (existing) {
      // A retransmission: say again what we said last.
      if (existing.lastInviteResponse) send(existing.lastInviteResponse, from);
      return;
    }
    const user = /^sips?:([^@;]+)@/i.exec(request.uri)?.[1];
    const line = opts.lines.find((l) => l.number === user);
    if (!line) return void respond(request, from, 404, 'Not Found');
    const msisdn = /^sips?:\+?([0-9]+)@/i.exec(headerUri(header(request, 'from')) ?? '')?.[1] ?? '';
    // Only the test subscribers are routed to the sandbox's hotline.
    if (!state.accounts.has(msisdn)) return void respond(request, from, 403, 'Forbidden');
    if (line.username !== null && line.password !== null) {
      const given = header(request, 'authorization');
      const creds = given ? parseDigestCredentials(given) : null;
      if (!creds || !nonces.has(creds.nonce)) {
        const nonce = randomBytes(12).toString('hex');
        if (nonces.size >= 1000) nonces.delete(nonces.keys().next().value as string);
        nonces.set(nonce, state.now());
        return void respond(request, from, 401, 'Unauthorized', { toTag: tag(), extra: [['www-authenticate', `Digest realm="${IVR_DEFAULTS.realm}", nonce="${nonce}", qop="auth", algorithm=MD5`]] });
      }
      nonces.delete(creds.nonce);
      if (creds.username !== line.username || !verifyDigest(creds, challenge(creds.nonce), 'INVITE', line.password)) return void respond(request, from, 403, 'Forbidden');
    }
    const offer = parseSdpMedia(request.body);
    if (typeof offer === 'string') return void respond(request, from, 488, 'Not Acceptable Here');
    const rtp = dgram.createSocket(family);
    rtp.on('error', () => undefined);
    rtp.bind(0, host);
    await once(rtp, 'listening');
    const call: Call = {
      callId, line, msisdn, invite: request, signalling: from, toTag: tag(), phase: 'proceeding', lastInviteResponse: null,
      rtp, peer: { address: offer.address, port: offer.port }, payloadType: offer.codec, codec: offer.codec === PT_PCMU ? 'pcmu' : 'pcma', telephoneEvent: offer.telephoneEvent,
      menu: new IvrMenu(state, msisdn), playing: null, playAt: 0, mediaStart: 0, sent: 0,
      seq: randomBytes(2).readUInt16BE(0), timestampBase: randomBytes(4).readUInt32BE(0), ssrc: randomBytes(4).readUInt32BE(0),
      silent: false, loss: 0, jitterMs: 0, timers: new Set(), pending: new Set(), keysStarted: new Set(), keysEnded: new Set(),
    };
    calls.set(callId, call);
    rtp.on('message', (data) => onKey(call, data));
    const final = (status: number, reason: string) => {
      call.lastInviteResponse = respond(request, from, status, reason, { toTag: call.toTag });
      endCall(call);
    };
    call.lastInviteResponse = respond(request, from, 100, 'Trying');
    const setup = state.faults.effect(line.channel, null, state.random, SETUP_MODES);
    const fault = setup.terminal;
    if (fault?.mode === 'busy') return final(486, 'Busy Here');
    if (fault?.mode === 'unavailable') return final(503, 'Service Unavailable');
    for (const f of state.faults.active()) {
      if (!('channel' in f.scope) || f.scope.channel !== line.channel) continue;
      if (f.mode === 'rtp_loss') call.loss = Math.max(call.loss, f.rate);
      if (f.mode === 'rtp_jitter') call.jitterMs = Math.max(call.jitterMs, f.latencyMs ?? 0);
    }
    call.silent = fault?.mode === 'silence';
    call.lastInviteResponse = respond(request, from, 180, 'Ringing', { toTag: call.toTag });
    if (fault?.mode === 'no_answer' || fault?.mode === 'hang') {
      later(call.timers, IVR_DEFAULTS.ringTimeoutMs, () => call.phase === 'proceeding' && final(480, 'Temporarily Unavailable'));
      return;
    }
    later(call.timers, ringMs + setup.delayMs, () => {
      if (call.phase !== 'proceeding') return;
      const rtpPort = rtp.address().port;
      const ip = host.includes(':') ? 'IP6' : 'IP4';
      const te = call.telephoneEvent;
      const sdp = [
        'v=0', `o=sandbox-ivr ${call.ssrc} 1 IN ${ip} ${host}`, 's=sandbox IVR', `c=IN ${ip} ${host}`, 't=0 0',
        `m=audio ${rtpPort} RTP/AVP ${call.payloadType}${te !== null ? ` ${te}` : ''}`,
        `a=rtpmap:${call.payloadType} ${call.payloadType === PT_PCMA ? 'PCMA' : 'PCMU'}/8000`,
        ...(te !== null ? [`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} 0-16`] : []),
        'a=ptime:20', 'a=sendrecv', '',
      ].join('\r\n');
      call.phase = 'answered';
      const ok = respond(request, from, 200, 'OK', { toTag: call.toTag, extra: [['contact', `<sip:${line.number}@${localHost}:${actualPort}>`]], body: sdp });
      call.lastInviteResponse = ok;
      // The 200 goes again (T1 doubling) until the ACK comes (RFC 3261 §13.3.1.4).
      let interval = IVR_DEFAULTS.t1Ms;
      const again = () => {
        if (call.phase !== 'answered') return;
        if (interval > 32 * IVR_DEFAULTS.t1Ms) return hangUp(call);
        send(ok, from);
        interval *= 2;
        later(call.timers, interval, again);
      };
      later(call.timers, interval, again);
    });
  };

  const onRequest = (request: SipRequest, from: { address: string; port: number }) => {
    const callId = header(request, 'call-id') ?? '';
    const call = calls.get(callId);
    switch (request.method) {
      case 'INVITE':
        void onInvite(request, from).catch((err: unknown) => log?.error({ err }, 'sandbox IVR INVITE failed'));
        return;
      case 'ACK':
        if (call?.phase === 'answered') {
          call.phase = 'confirmed';
          call.mediaStart = performance.now();
          later(call.timers, maxCallMs, () => hangUp(call));
          answer(call, call.menu.greeting());
        }
        return;
      case 'CANCEL':
        if (!call) return void respond(request, from, 481, 'Call/Transaction Does Not Exist');
        respond(request, from, 200, 'OK');
        if (call.phase === 'proceeding') {
          call.lastInviteResponse = respond(call.invite, call.signalling, 487, 'Request Terminated', { toTag: call.toTag });
          endCall(call);
        }
        return;
      case 'BYE':
        if (!call) return void respond(request, from, 481, 'Call/Transaction Does Not Exist');
        respond(request, from, 200, 'OK');
        endCall(call);
        return;
      case 'OPTIONS':
        respond(request, from, 200, 'OK', { extra: [['allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']] });
        return;
      default:
        respond(request, from, 501, 'Not Implemented');
    }
  };

  socket.on('message', (data, rinfo) => {
    const message = parseSipMessage(data);
    if (!message || message.kind !== 'request') return; // our BYE's 200 needs nothing more
    if (!parseCSeq(header(message, 'cseq')) || !header(message, 'call-id')) return;
    onRequest(message, { address: rinfo.address, port: rinfo.port });
  });

  socket.bind(port, host);
  await once(socket, 'listening');
  const actualPort = socket.address().port;
  return {
    url: `sip:${localHost}:${actualPort}`,
    port: actualPort,
    activeCalls: () => [...calls.values()].filter((c) => c.phase !== 'ended').length,
    async close() {
      clearInterval(tick);
      for (const call of calls.values()) if (call.phase === 'confirmed' || call.phase === 'answered') hangUp(call);
      for (const call of calls.values()) endCall(call);
      for (const t of serverTimers) clearTimeout(t);
      serverTimers.clear();
      calls.clear();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
