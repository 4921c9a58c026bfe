// The SIP user agent against an in-process UAS on 127.0.0.1: a whole call (INVITE, 180, 200,
// ACK, audio in, DTMF out, BYE), digest authentication, failures with their status, CANCEL at
// the deadline, an answer crossing the CANCEL, a far-end hang-up, and an unreachable far end.
import { afterEach, describe, expect, it } from 'vitest';
import { digestResponse, parseDigestChallenge } from '../../telephony/digest.js';
import { encodeG711 } from '../../telephony/g711.js';
import { header, headerParam, type SipRequest } from '../../telephony/sip-message.js';
import { decodeRtp, encodeRtp, parseTelephoneEvent } from '../../telephony/rtp.js';
import { SipCall, type SipCallOptions } from '../../synthetic/probers/sip/user-agent.js';
import { answerSdp, startUas, type TestUas } from '../support/sip-uas.js';

let uas: TestUas | null = null;
afterEach(async () => {
  await uas?.close();
  uas = null;
});

const callTo = (port: number, extra: Partial<SipCallOptions> = {}) =>
  new SipCall({ server: { host: '127.0.0.1', port }, requestUri: `sip:10086@127.0.0.1:${port}`, from: 'sip:probe@channel-health.invalid', localAddress: '127.0.0.1', t1Ms: 100, cleanupMs: 1500, ...extra });
const methods = (rs: SipRequest[]) => rs.map((r) => r.method);

describe('SipCall', () => {
  it('places a call: 100/180 then 200 → ACK, hears the audio, sends RFC 4733 keys, ends with BYE', async () => {
    const keys: Array<{ event: number; end: boolean; ts: number; marker: boolean }> = [];
    // The answer waits until the user agent has taken the 180 in (its private timings), so the
    // 50 ms between ringing and answer is measured whatever the load, not raced.
    const ua: { call?: ReturnType<typeof callTo> } = {};
    const ringingTaken = () => (ua.call as unknown as { timings: { ringingAt: number | null } } | undefined)?.timings.ringingAt != null;
    uas = await startUas((call, u) => {
      call.respond(100, 'Trying');
      call.respond(180, 'Ringing');
      const answerAfterRinging = (): void => void (ringingTaken() ? setTimeout(answer, 50) : setTimeout(answerAfterRinging, 1));
      const answer = (): void => {
        call.respond(200, 'OK', [['contact', `<sip:ivr@127.0.0.1:${u.port}>`]], answerSdp(u.rtpPort, 101));
        // 10 packets of a 1 kHz-ish square wave, sent in reverse order: layout is by timestamp.
        for (let n = 9; n >= 0; n--) {
          const samples = Array.from({ length: 160 }, (_, i) => (i % 8 < 4 ? 8000 : -8000));
          u.rtpSocket.send(encodeRtp({ payloadType: 0, marker: n === 0, sequence: 100 + n, timestamp: 8000 + n * 160, ssrc: 9, payload: encodeG711(samples, 'pcmu') }), call.rtp.port, call.rtp.address);
        }
      };
      answerAfterRinging();
    });
    uas.rtpSocket.on('message', (d) => {
      const p = decodeRtp(d);
      const e = p && parseTelephoneEvent(p.payload);
      if (p && e) keys.push({ event: e.event, end: e.end, ts: p.timestamp, marker: p.marker });
    });
    const call = callTo(uas.port);
    ua.call = call;
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup.ok).toBe(true);
    if (!setup.ok) return;
    expect(setup.timings.provisional).toEqual([100, 180]);
    expect(setup.timings.ringingAt).not.toBeNull();
    expect(setup.timings.answeredAt! - setup.timings.ringingAt!).toBeGreaterThanOrEqual(40);
    await uas.waitFor((rs) => rs.some((r) => r.method === 'ACK'));
    const invite = uas.requests.find((r) => r.method === 'INVITE')!;
    expect(invite.body).toMatch(/m=audio \d+ RTP\/AVP 0 8 101/);
    const ack = uas.requests.find((r) => r.method === 'ACK')!;
    expect(ack.uri).toBe(`sip:ivr@127.0.0.1:${uas.port}`);
    expect(headerParam(header(ack, 'to'), 'tag')).toBe('uas42');
    expect(headerParam(header(ack, 'via'), 'branch')).not.toBe(headerParam(header(invite, 'via'), 'branch'));
    await call.sendDigits('1#', { durationMs: 60, gapMs: 20 });
    await expect.poll(() => call.audio.received, { timeout: 2000 }).toBe(10);
    expect(call.audio.samples().length).toBe(1600);
    // sendDigits resolves once the last packet is sent, not once the far end has read it.
    await expect.poll(() => keys.filter((k) => k.end).length, { timeout: 2000 }).toBeGreaterThanOrEqual(6);
    const ends = keys.filter((k) => k.end);
    expect(ends.map((k) => k.event)).toEqual([1, 1, 1, 11, 11, 11]);
    expect(new Set(keys.filter((k) => k.event === 1).map((k) => k.ts)).size).toBe(1);
    expect(keys.filter((k) => k.marker).map((k) => k.event)).toEqual([1, 11]);
    const { byeStatus } = await call.hangup();
    expect(byeStatus).toBe(200);
    const bye = uas.requests.find((r) => r.method === 'BYE')!;
    expect(header(bye, 'cseq')).toBe('2 BYE');
    expect(header(bye, 'call-id')).toBe(header(invite, 'call-id'));
  });

  it('answers a 407 challenge once with Proxy-Authorization, the password read by secret reference', async () => {
    const password = 'trunk-secret';
    let checked = false;
    uas = await startUas((call, u) => {
      const auth = header(call.invite, 'proxy-authorization');
      if (!auth) return call.respond(407, 'Proxy Authentication Required', [['proxy-authenticate', 'Digest realm="ivr.test", nonce="abc123", qop="auth", algorithm=MD5']]);
      const p = Object.fromEntries([...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
      const expected = digestResponse({ challenge: parseDigestChallenge('Digest realm="ivr.test", nonce="abc123", qop="auth"')!, method: 'INVITE', uri: p.uri!, username: p.username!, password, cnonce: p.cnonce!, nc: parseInt(p.nc!, 16) });
      checked = p.response === expected && p.username === 'probe7';
      call.respond(checked ? 200 : 403, checked ? 'OK' : 'Forbidden', [['contact', `<sip:ivr@127.0.0.1:${u.port}>`]], checked ? answerSdp(u.rtpPort) : '');
    });
    const reads: string[] = [];
    const readSecret = (ref: { env: string } | { file: string }) => {
      reads.push('env' in ref ? ref.env : ref.file);
      return password;
    };
    const call = callTo(uas.port, { credentials: { username: 'probe7', password: { env: 'IVR_TRUNK_PASSWORD' } }, readSecret });
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup.ok).toBe(true);
    expect(checked).toBe(true);
    expect(reads).toEqual(['IVR_TRUNK_PASSWORD']);
    const invites = uas.requests.filter((r) => r.method === 'INVITE');
    expect(invites.map((r) => header(r, 'cseq'))).toEqual(['1 INVITE', '2 INVITE']);
    // The 407 was ACKed inside its own transaction (same branch as the first INVITE).
    const acks = uas.requests.filter((r) => r.method === 'ACK');
    expect(acks.some((a) => headerParam(header(a, 'via'), 'branch') === headerParam(header(invites[0]!, 'via'), 'branch') && header(a, 'cseq') === '1 ACK')).toBe(true);
    await call.hangup();
  });

  it('a wrong password fails with the status of the second answer, and is not retried', async () => {
    uas = await startUas((call) => {
      if (!header(call.invite, 'authorization')) return call.respond(401, 'Unauthorized', [['www-authenticate', 'Digest realm="r", nonce="n1"']]);
      call.respond(401, 'Unauthorized', [['www-authenticate', 'Digest realm="r", nonce="n2"']]);
    });
    const call = callTo(uas.port, { credentials: { username: 'u', password: { env: 'X' } }, readSecret: () => 'wrong' });
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup).toMatchObject({ ok: false, kind: 'rejected', status: 401 });
    expect(uas.requests.filter((r) => r.method === 'INVITE').length).toBe(2);
    await call.hangup();
  });

  it('busy is a rejection carrying 486, ACKed; no credentials means a 401 is final', async () => {
    uas = await startUas((call) => {
      call.respond(100, 'Trying');
      call.respond(486, 'Busy Here');
    });
    const call = callTo(uas.port);
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup).toMatchObject({ ok: false, kind: 'rejected', status: 486, detail: 'SIP 486 Busy Here' });
    await uas.waitFor((rs) => methods(rs).includes('ACK'));
    await call.hangup();
    expect(methods(uas.requests)).not.toContain('BYE');
  });

  it('no answer by the deadline: CANCEL after the 180, the 487 ACKed, the result a timeout', async () => {
    // The 487 for the INVITE, sent when the CANCEL arrives.
    const invites: Array<(s: number, reason: string) => void> = [];
    uas = await startUas(
      (call) => {
        invites.push(call.respond);
        call.respond(180, 'Ringing');
      },
      (r, reply) => {
        if (r.method !== 'CANCEL') return false;
        reply(200, 'OK');
        invites[0]?.(487, 'Request Terminated');
        return true;
      },
    );
    const call = callTo(uas.port);
    const started = Date.now();
    const setup = await call.dial(AbortSignal.timeout(300));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(setup).toMatchObject({ ok: false, kind: 'timeout', status: null });
    await call.hangup();
    await uas.waitFor((rs) => rs.length >= 3);
    expect(methods(uas.requests)).toEqual(['INVITE', 'CANCEL', 'ACK']);
    const [invite, cancel, ack] = uas.requests;
    expect(headerParam(header(cancel!, 'via'), 'branch')).toBe(headerParam(header(invite!, 'via'), 'branch'));
    expect(header(cancel!, 'cseq')).toBe('1 CANCEL');
    expect(header(ack!, 'cseq')).toBe('1 ACK');
  });

  it('silence from the far end: INVITE retransmitted at T1 doubling, no CANCEL without a provisional, a timeout', async () => {
    uas = await startUas(() => undefined);
    const call = callTo(uas.port);
    const setup = await call.dial(AbortSignal.timeout(800));
    expect(setup).toMatchObject({ ok: false, kind: 'timeout', detail: 'no response by the deadline' });
    await call.hangup();
    // t1 = 100 ms: sent at 0, 100, 300, 700 ms.
    expect(uas.requests.filter((r) => r.method === 'INVITE').length).toBeGreaterThanOrEqual(3);
    expect(uas.requests.filter((r) => r.method === 'INVITE').length).toBeLessThanOrEqual(4);
    expect(methods(uas.requests)).not.toContain('CANCEL');
  });

  it('a deadline already past sends nothing and ends at once', async () => {
    uas = await startUas(() => undefined);
    const call = callTo(uas.port);
    const setup = await call.dial(AbortSignal.abort());
    expect(setup).toMatchObject({ ok: false, kind: 'timeout' });
    const started = Date.now();
    await call.hangup();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(uas.requests).toEqual([]);
  });

  it('an answer crossing the CANCEL is ACKed and ended with BYE', async () => {
    const invites: Array<(s: number, reason: string, extra?: Array<[string, string]>, body?: string) => void> = [];
    uas = await startUas(
      (call) => {
        invites.push(call.respond);
        call.respond(183, 'Session Progress');
      },
      (r, reply) => {
        if (r.method !== 'CANCEL') return false;
        reply(200, 'OK');
        invites[0]?.(200, 'OK', [['contact', `<sip:ivr@127.0.0.1:${uas!.port}>`]], answerSdp(uas!.rtpPort));
        return true;
      },
    );
    const call = callTo(uas.port);
    const setup = await call.dial(AbortSignal.timeout(200));
    expect(setup.ok).toBe(false);
    const { byeStatus } = await call.hangup();
    expect(byeStatus).toBe(200);
    expect(methods(uas.requests)).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    expect(uas.requests.filter((r) => r.method === 'ACK').length).toBe(1);
  });

  it('the far end hanging up is answered 200 and seen; hangup then sends nothing more', async () => {
    uas = await startUas((call, u) => {
      call.respond(200, 'OK', [['contact', `<sip:ivr@127.0.0.1:${u.port}>`]], answerSdp(u.rtpPort));
      setTimeout(() => u.sendBye(call), 50);
    });
    const call = callTo(uas.port);
    expect((await call.dial(AbortSignal.timeout(3000))).ok).toBe(true);
    await call.remoteHangup;
    const { byeStatus } = await call.hangup();
    expect(byeStatus).toBeNull();
    expect(methods(uas.requests)).toEqual(['INVITE', 'ACK']);
  });

  it('an answer without usable SDP fails as a protocol error and is still ended with BYE', async () => {
    uas = await startUas((call, u) => call.respond(200, 'OK', [['contact', `<sip:ivr@127.0.0.1:${u.port}>`]], 'v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 7000 RTP/AVP 18\r\n'));
    const call = callTo(uas.port);
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup).toMatchObject({ ok: false, kind: 'protocol', status: 200 });
    expect((await call.hangup()).byeStatus).toBe(200);
    expect(methods(uas.requests)).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('nobody listening: the ICMP refusal ends the attempt as unreachable, well before the deadline', async () => {
    uas = await startUas(() => undefined);
    const port = uas.port;
    await uas.close();
    uas = null;
    const call = callTo(port);
    const started = Date.now();
    const setup = await call.dial(AbortSignal.timeout(3000));
    expect(setup).toMatchObject({ ok: false, kind: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(2000);
    await call.hangup();
  });
});
