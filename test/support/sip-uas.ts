// A scriptable SIP user agent server for tests, on 127.0.0.1: records every request it gets and
// answers INVITEs as the test's `onInvite` says. Built on the UA's own message module for
// brevity; the SIPp referee tests are what check the wire against an implementation not ours.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { header, parseSipMessage, serializeSipMessage, type SipRequest } from '../../telephony/sip-message.js';

export interface UasCall {
  invite: SipRequest;
  /** Sends a response to the INVITE (To gets our tag from 180 on). */
  respond(status: number, reason: string, extra?: Array<[string, string]>, body?: string): void;
  /** The caller's RTP address from the offer. */
  rtp: { address: string; port: number };
}

export interface TestUas {
  port: number;
  requests: SipRequest[];
  rtpPort: number;
  rtpSocket: dgram.Socket;
  /** Sends an in-dialog request (BYE) to the caller of `call`. */
  sendBye(call: UasCall): void;
  close(): Promise<void>;
  waitFor(predicate: (r: SipRequest[]) => boolean, timeoutMs?: number): Promise<void>;
}

export const answerSdp = (port: number, te = 101) =>
  `v=0\r\no=uas 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 ${te}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:${te} telephone-event/8000\r\n`;

export async function startUas(onInvite: (call: UasCall, uas: TestUas) => void, onRequest?: (r: SipRequest, reply: (status: number, reason: string) => void) => boolean): Promise<TestUas> {
  const socket = dgram.createSocket('udp4');
  const rtpSocket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  rtpSocket.bind(0, '127.0.0.1');
  await Promise.all([once(socket, 'listening'), once(rtpSocket, 'listening')]);
  const requests: SipRequest[] = [];
  const seenInvites = new Set<string>();
  const peers = new Map<string, { address: string; port: number }>();
  const toTag = 'uas42';
  const waiters: Array<() => void> = [];
  const uas: TestUas = {
    port: socket.address().port,
    rtpPort: rtpSocket.address().port,
    rtpSocket,
    requests,
    sendBye(call) {
      const peer = peers.get(header(call.invite, 'call-id')!)!;
      const from = header(call.invite, 'from')!;
      const to = `${header(call.invite, 'to')!};tag=${toTag}`;
      const text = serializeSipMessage({
        kind: 'request', method: 'BYE', uri: /<([^>]+)>/.exec(header(call.invite, 'contact')!)![1]!, body: '',
        headers: [['via', `SIP/2.0/UDP 127.0.0.1:${uas.port};branch=z9hG4bKuasbye`], ['from', to], ['to', from], ['call-id', header(call.invite, 'call-id')!], ['cseq', '1 BYE']],
      });
      socket.send(text, peer.port, peer.address);
    },
    async close() {
      await Promise.all([new Promise<void>((r) => socket.close(() => r())), new Promise<void>((r) => rtpSocket.close(() => r()))]);
    },
    async waitFor(predicate, timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; requests: ${requests.map((r) => r.method).join(',')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
  socket.on('message', (data, rinfo) => {
    const m = parseSipMessage(data);
    if (!m || m.kind !== 'request') return;
    requests.push(m);
    for (const w of waiters.splice(0)) w();
    const callId = header(m, 'call-id')!;
    peers.set(callId, { address: rinfo.address, port: rinfo.port });
    const reply = (request: SipRequest) => (status: number, reason: string, extra: Array<[string, string]> = [], body = '') => {
      const to = status > 100 && !/;tag=/.test(header(request, 'to')!) ? `${header(request, 'to')!};tag=${toTag}` : header(request, 'to')!;
      const headers: Array<[string, string]> = [['via', header(request, 'via')!], ['from', header(request, 'from')!], ['to', to], ['call-id', callId], ['cseq', header(request, 'cseq')!], ...extra];
      if (body) headers.push(['content-type', 'application/sdp']);
      socket.send(serializeSipMessage({ kind: 'response', status, reason, headers, body }), rinfo.port, rinfo.address);
    };
    if (onRequest?.(m, reply(m))) return;
    if (m.method === 'INVITE') {
      const key = `${callId} ${header(m, 'cseq')}`;
      if (seenInvites.has(key)) return; // a retransmission: the test sees it in `requests`
      seenInvites.add(key);
      const media = /m=audio (\d+)/.exec(m.body);
      const address = /c=IN IP4 (\S+)/.exec(m.body);
      onInvite({ invite: m, respond: reply(m), rtp: { address: address?.[1] ?? '127.0.0.1', port: Number(media?.[1] ?? 0) } }, uas);
    } else if (m.method === 'BYE' || m.method === 'CANCEL') {
      reply(m)(200, 'OK');
    }
  });
  return uas;
}
