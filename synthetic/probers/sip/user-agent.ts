// A SIP user agent client for one probe call, on node:dgram (RFC 3261 over UDP): INVITE with an
// SDP offer, provisional responses, 200 → ACK, digest authentication (401/407), CANCEL when the
// deadline comes before an answer, BYE at the end; RTP G.711 received, DTMF sent as RFC 4733
// telephone events. Every wait is bounded: by the caller's deadline while dialling, by
// `cleanupMs` for what must still be said after it (CANCEL, ACK, BYE).
//
// All requests go to `server` (an outbound proxy, as a trunk is used); the Request-URI carries
// the far end's Contact, so a UAS behind the proxy still sees the right target.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { SecretRef } from '../../../config/index.js';
import { digestAuthorization, parseDigestChallenge } from '../../../telephony/digest.js';
import { header, headerParam, headerUri, parseCSeq, parseSipMessage, serializeSipMessage, type SipMessage, type SipRequest, type SipResponse } from '../../../telephony/sip-message.js';
import { dtmfPackets, encodeRtp, RtpAudioReceiver } from '../../../telephony/rtp.js';
import { parseSdpMedia, PT_TELEPHONE_EVENT_OFFER, sdpOffer, type SdpMedia } from '../../../telephony/sdp.js';

export interface SipCredentials {
  username: string;
  /** Read only when a challenge comes, and never logged or kept. */
  password: SecretRef;
}

export interface SipCallOptions {
  server: { host: string; port: number };
  /** Whom we call, e.g. `sip:10086@127.0.0.1:5070`. */
  requestUri: string;
  /** Who calls, e.g. `sip:probe@channel-health.invalid`. */
  from: string;
  /** The loopback address our SIP and RTP sockets bind to. */
  localAddress: string;
  credentials?: SipCredentials | null;
  readSecret?: (ref: SecretRef, where: string) => string;
  clock?: () => number;
  /** RFC 3261's T1 (INVITE retransmission starts at it and doubles). */
  t1Ms?: number;
  /** How long CANCEL, the ACK of a late answer, and BYE may take after the deadline or at the end. */
  cleanupMs?: number;
  /** Audio kept per call; more is counted as dropped. */
  maxAudioSeconds?: number;
}

export interface CallTimings {
  invitedAt: number;
  /** The first 180 or 183 (100 Trying is hop-by-hop and says nothing about the far end). */
  ringingAt: number | null;
  answeredAt: number | null;
  /** Every provisional status in the order received (100, 180, 183 …). */
  provisional: number[];
}

export type CallSetup =
  | { ok: true; timings: CallTimings; media: SdpMedia }
  | {
      ok: false;
      /** timeout: no answer by the deadline; rejected: a final status; unreachable: ICMP refused; protocol: an answer we cannot use. */
      kind: 'timeout' | 'rejected' | 'unreachable' | 'protocol';
      status: number | null;
      detail: string;
      timings: CallTimings;
    };

type Phase = 'idle' | 'inviting' | 'abandoning' | 'established' | 'ending' | 'ended';

const token = (bytes = 8) => randomBytes(bytes).toString('hex');

export class SipCall {
  readonly audio: RtpAudioReceiver;
  private readonly clock: () => number;
  private readonly t1: number;
  private readonly cleanupMs: number;
  private sip: dgram.Socket | null = null;
  private rtp: dgram.Socket | null = null;
  private phase: Phase = 'idle';
  private readonly callId = `${token()}@channel-health`;
  private readonly fromTag = token(4);
  private cseq = 1;
  private inviteBranch = '';
  private invite: SipRequest | null = null;
  private authenticated = false;
  private gotProvisional = false;
  private toHeader = '';
  private remoteTarget = '';
  private media: SdpMedia | null = null;
  private timings: CallTimings = { invitedAt: 0, ringingAt: null, answeredAt: null, provisional: [] };
  private settle: ((setup: CallSetup) => void) | null = null;
  private retransmit: NodeJS.Timeout | null = null;
  private byeWaiter: ((status: number) => void) | null = null;
  private cancelWaiter: (() => void) | null = null;
  private remoteBye: (() => void) | null = null;
  /** Resolves when the far end hangs up (a BYE from it). */
  readonly remoteHangup: Promise<void>;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private rtpSequence = randomBytes(2).readUInt16BE(0);
  private readonly rtpTimestampBase = randomBytes(4).readUInt32BE(0);
  private startedAt = 0;
  private sending: Array<Promise<void>> = [];

  constructor(private readonly opts: SipCallOptions) {
    this.clock = opts.clock ?? Date.now;
    this.t1 = opts.t1Ms ?? 500;
    this.cleanupMs = opts.cleanupMs ?? 2000;
    this.audio = new RtpAudioReceiver({ telephoneEvent: PT_TELEPHONE_EVENT_OFFER, maxSeconds: opts.maxAudioSeconds ?? 120 });
    this.remoteHangup = new Promise((resolve) => (this.remoteBye = resolve));
  }

  /** Places the call; resolves at the answer, a final failure, or the deadline (signal). */
  async dial(signal: AbortSignal): Promise<CallSetup> {
    if (this.phase !== 'idle') throw new Error('SipCall.dial called twice');
    this.phase = 'inviting';
    const family = this.opts.localAddress.includes(':') ? 'udp6' : 'udp4';
    this.sip = dgram.createSocket(family);
    this.rtp = dgram.createSocket(family);
    const settled = new Promise<CallSetup>((resolve) => (this.settle = resolve));
    const failOnSocket = (err: NodeJS.ErrnoException) => {
      if (this.phase === 'inviting') this.finish({ ok: false, kind: err.code === 'ECONNREFUSED' ? 'unreachable' : 'protocol', status: null, detail: `${err.code ?? 'error'}: ${err.message}`, timings: this.timings });
    };
    this.sip.on('error', failOnSocket);
    this.rtp.on('error', () => undefined); // a stray ICMP on the media port must not end the call
    this.sip.on('message', (data) => this.onSip(data));
    this.rtp.on('message', (data) => this.audio.push(data, this.clock()));
    this.sip.bind(0, this.opts.localAddress);
    this.rtp.bind(0, this.opts.localAddress);
    await Promise.all([once(this.sip, 'listening'), once(this.rtp, 'listening')]);
    this.sip.connect(this.opts.server.port, this.opts.server.host);
    await once(this.sip, 'connect');
    if (signal.aborted) return this.abandon();
    const onAbort = () => void this.abandon();
    signal.addEventListener('abort', onAbort, { once: true });
    this.startedAt = this.clock();
    this.timings.invitedAt = this.startedAt;
    this.sendInvite(null);
    const setup = await settled;
    signal.removeEventListener('abort', onAbort);
    return setup;
  }

  private finish(setup: CallSetup): void {
    this.stopRetransmit();
    const settle = this.settle;
    this.settle = null;
    settle?.(setup);
  }

  private localSip(): string {
    const a = this.sip!.address();
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  private via(branch: string): string {
    return `SIP/2.0/UDP ${this.localSip()};branch=${branch};rport`;
  }

  private send(message: SipMessage): void {
    if (!this.sip) return;
    // Closing a socket drops datagrams still queued, so the last ACK or BYE is waited for.
    this.sending.push(new Promise<void>((resolve) => {
      try {
        this.sip!.send(serializeSipMessage(message), () => resolve());
      } catch {
        resolve(); // the socket is already closed: the call is over either way
      }
    }));
  }

  private sendInvite(authorization: { name: string; value: string } | null): void {
    this.inviteBranch = `z9hG4bK${token()}`;
    const rtpAddress = this.rtp!.address();
    const headers: Array<[string, string]> = [
      ['via', this.via(this.inviteBranch)],
      ['max-forwards', '70'],
      ['from', `<${this.opts.from}>;tag=${this.fromTag}`],
      ['to', `<${this.opts.requestUri}>`],
      ['call-id', this.callId],
      ['cseq', `${this.cseq} INVITE`],
      ['contact', `<sip:probe@${this.localSip()}>`],
      ['allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'],
      ['user-agent', 'channel-health'],
      ['content-type', 'application/sdp'],
    ];
    if (authorization) headers.push([authorization.name, authorization.value]);
    this.invite = {
      kind: 'request', method: 'INVITE', uri: this.opts.requestUri, headers,
      body: sdpOffer({ address: rtpAddress.address, rtpPort: rtpAddress.port, sessionId: Math.floor(this.startedAt / 1000) }),
    };
    this.send(this.invite);
    let interval = this.t1;
    const again = () => {
      if (this.phase !== 'inviting' || this.gotProvisional) return;
      this.send(this.invite!);
      interval *= 2;
      this.retransmit = setTimeout(again, interval);
    };
    this.stopRetransmit();
    this.retransmit = setTimeout(again, interval);
  }

  private stopRetransmit(): void {
    if (this.retransmit) clearTimeout(this.retransmit);
    this.retransmit = null;
  }

  private onSip(data: Buffer): void {
    const message = parseSipMessage(data);
    if (!message) return;
    if (header(message, 'call-id') !== this.callId) return;
    if (message.kind === 'request') this.onRequest(message);
    else this.onResponse(message);
  }

  private onRequest(request: SipRequest): void {
    if (request.method === 'ACK') return;
    const reply = (status: number, reason: string) =>
      this.send({ kind: 'response', status, reason, headers: request.headers.filter(([n]) => ['via', 'from', 'to', 'call-id', 'cseq'].includes(n)), body: '' });
    if (request.method === 'BYE') {
      reply(200, 'OK');
      if (this.phase === 'established') this.phase = 'ended';
      this.remoteBye?.();
      return;
    }
    reply(request.method === 'OPTIONS' ? 200 : 501, request.method === 'OPTIONS' ? 'OK' : 'Not Implemented');
  }

  private onResponse(response: SipResponse): void {
    const cseq = parseCSeq(header(response, 'cseq'));
    if (!cseq) return;
    if (cseq.method === 'BYE') {
      if (response.status >= 200) this.byeWaiter?.(response.status);
      return;
    }
    if (cseq.method === 'CANCEL' || cseq.method !== 'INVITE') return;
    const branch = headerParam(header(response, 'via'), 'branch');
    if (response.status < 200) {
      if (branch !== this.inviteBranch) return;
      this.gotProvisional = true;
      this.timings.provisional.push(response.status);
      if (response.status !== 100 && this.timings.ringingAt === null) this.timings.ringingAt = this.clock();
      if (this.phase === 'abandoning') this.sendCancel();
      return;
    }
    if (response.status < 300) {
      this.onAnswer(response);
      return;
    }
    // A final failure: the INVITE transaction ACKs it (same branch), retransmissions included.
    this.sendAckForFailure(response);
    if (branch !== this.inviteBranch || cseq.seq !== this.cseq) return;
    if (this.phase === 'abandoning') {
      this.cancelWaiter?.();
      return;
    }
    if (this.phase !== 'inviting') return;
    if ((response.status === 401 || response.status === 407) && !this.authenticated && this.opts.credentials && this.opts.readSecret) {
      const challengeHeader = header(response, response.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
      const challenge = challengeHeader ? parseDigestChallenge(challengeHeader) : null;
      if (!challenge) {
        this.finish({ ok: false, kind: 'rejected', status: response.status, detail: `SIP ${response.status} ${response.reason}: no usable Digest challenge`, timings: this.timings });
        return;
      }
      let password: string;
      try {
        password = this.opts.readSecret(this.opts.credentials.password, 'sip credentials');
      } catch (err) {
        this.finish({ ok: false, kind: 'rejected', status: response.status, detail: `SIP ${response.status}: ${(err as Error).message}`, timings: this.timings });
        return;
      }
      this.authenticated = true;
      this.cseq++;
      this.gotProvisional = false;
      const value = digestAuthorization({ challenge, method: 'INVITE', uri: this.opts.requestUri, username: this.opts.credentials.username, password, cnonce: token(), nc: 1 });
      this.sendInvite({ name: response.status === 401 ? 'authorization' : 'proxy-authorization', value });
      return;
    }
    this.finish({ ok: false, kind: 'rejected', status: response.status, detail: `SIP ${response.status} ${response.reason}`.trim(), timings: this.timings });
  }

  private sendAckForFailure(response: SipResponse): void {
    const cseq = parseCSeq(header(response, 'cseq'))!;
    this.send({
      kind: 'request', method: 'ACK', uri: this.opts.requestUri, body: '',
      headers: [
        ['via', header(response, 'via')!], ['max-forwards', '70'], ['from', header(response, 'from')!], ['to', header(response, 'to')!],
        ['call-id', this.callId], ['cseq', `${cseq.seq} ACK`],
      ],
    });
  }

  private onAnswer(response: SipResponse): void {
    const firstAnswer = this.toHeader === '';
    if (firstAnswer) {
      this.toHeader = header(response, 'to') ?? `<${this.opts.requestUri}>`;
      this.remoteTarget = headerUri(header(response, 'contact')) ?? this.opts.requestUri;
    }
    this.sendAck();
    if (!firstAnswer) return; // a retransmitted 200: our ACK was lost, it has gone again
    this.stopRetransmit();
    this.timings.answeredAt = this.clock();
    if (this.phase === 'abandoning') {
      // The answer crossed our CANCEL: the call exists, so it is ended properly.
      this.phase = 'established';
      this.cancelWaiter?.();
      return;
    }
    const media = parseSdpMedia(response.body);
    this.phase = 'established';
    if (typeof media === 'string') {
      this.finish({ ok: false, kind: 'protocol', status: response.status, detail: media, timings: this.timings });
      return;
    }
    this.media = media;
    this.audio.setTelephoneEvent(media.telephoneEvent);
    this.finish({ ok: true, timings: this.timings, media });
  }

  private sendAck(): void {
    this.send({
      kind: 'request', method: 'ACK', uri: this.remoteTarget, body: '',
      headers: [
        ['via', this.via(`z9hG4bK${token()}`)], ['max-forwards', '70'], ['from', `<${this.opts.from}>;tag=${this.fromTag}`], ['to', this.toHeader],
        ['call-id', this.callId], ['cseq', `${this.cseq} ACK`],
      ],
    });
  }

  private sendCancel(): void {
    if (!this.invite) return;
    this.send({
      kind: 'request', method: 'CANCEL', uri: this.opts.requestUri, body: '',
      headers: [
        ['via', this.via(this.inviteBranch)], ['max-forwards', '70'], ['from', `<${this.opts.from}>;tag=${this.fromTag}`], ['to', `<${this.opts.requestUri}>`],
        ['call-id', this.callId], ['cseq', `${this.cseq} CANCEL`],
      ],
    });
  }

  /** The deadline came first: CANCEL once the far end has answered provisionally (§9.1). */
  private abandon(): Promise<CallSetup> {
    const setup: CallSetup = { ok: false, kind: 'timeout', status: null, detail: this.timings.provisional.length > 0 ? `no answer by the deadline (last provisional ${this.timings.provisional.at(-1)})` : 'no response by the deadline', timings: this.timings };
    if (this.phase === 'inviting' && this.invite === null) {
      this.phase = 'ended'; // nothing was sent: there is nothing to cancel
    } else if (this.phase === 'inviting') {
      this.phase = 'abandoning';
      this.stopRetransmit();
      if (this.gotProvisional) this.sendCancel();
    }
    this.finish(setup);
    return Promise.resolve(setup);
  }

  /** Sends a sequence of keys as RFC 4733 events, one packet per 20 ms, `gapMs` between keys. */
  async sendDigits(digits: string, opts: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    if (this.phase !== 'established' || !this.media) throw new Error('SipCall.sendDigits needs an established call');
    const pt = this.media.telephoneEvent ?? PT_TELEPHONE_EVENT_OFFER;
    for (const digit of digits) {
      const packets = dtmfPackets(digit, { durationMs: opts.durationMs ?? 100 });
      const timestamp = (this.rtpTimestampBase + Math.round((this.clock() - this.startedAt) * 8)) >>> 0;
      for (const p of packets) {
        const datagram = encodeRtp({ payloadType: pt, marker: p.marker, sequence: this.rtpSequence++ & 0xffff, timestamp, ssrc: this.ssrc, payload: p.payload });
        this.rtp?.send(datagram, this.media.port, this.media.address);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, opts.gapMs ?? 60));
    }
  }

  /**
   * Ends the call however far it got, within `cleanupMs`: BYE an established call, wait for the
   * CANCEL's 487 (or a crossing 200, then BYE) of an abandoned one, and close the sockets.
   * Resolves with the BYE's final status, or null when none was sent or none came back.
   */
  async hangup(): Promise<{ byeStatus: number | null }> {
    const until = this.clock() + this.cleanupMs;
    const left = () => Math.max(0, until - this.clock());
    let byeStatus: number | null = null;
    if (this.phase === 'abandoning') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left());
        this.cancelWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.cancelWaiter = null;
    }
    if (this.phase === 'established') {
      this.phase = 'ending';
      this.cseq++;
      const bye: SipRequest = {
        kind: 'request', method: 'BYE', uri: this.remoteTarget, body: '',
        headers: [
          ['via', this.via(`z9hG4bK${token()}`)], ['max-forwards', '70'], ['from', `<${this.opts.from}>;tag=${this.fromTag}`], ['to', this.toHeader],
          ['call-id', this.callId], ['cseq', `${this.cseq} BYE`],
        ],
      };
      byeStatus = await new Promise<number | null>((resolve) => {
        let interval = this.t1;
        let timer: NodeJS.Timeout;
        const giveUp = setTimeout(() => {
          clearTimeout(timer);
          resolve(null);
        }, left());
        const again = () => {
          this.send(bye);
          interval = Math.min(interval * 2, 4000);
          timer = setTimeout(again, interval);
        };
        this.byeWaiter = (status) => {
          clearTimeout(timer);
          clearTimeout(giveUp);
          resolve(status);
        };
        again();
      });
      this.byeWaiter = null;
    }
    this.phase = 'ended';
    this.stopRetransmit();
    this.finish({ ok: false, kind: 'protocol', status: null, detail: 'call ended before it was set up', timings: this.timings });
    await Promise.all(this.sending.splice(0));
    await Promise.all([this.sip, this.rtp].map((s) => (s ? new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } }) : undefined)));
    this.sip = null;
    this.rtp = null;
    return { byeStatus };
  }
}
