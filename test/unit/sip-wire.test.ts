// The SIP user agent's wire pieces in isolation: message parsing, digest against the RFC vectors,
// the SDP offer and answer, G.711, RTP packets, RFC 4733 events and the audio receiver's layout.
import { describe, expect, it } from 'vitest';
import { digestAuthorization, digestResponse, parseDigestChallenge } from '../../telephony/digest.js';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../telephony/g711.js';
import { header, headerParam, headerUri, parseSipMessage, serializeSipMessage, uriHostPort } from '../../telephony/sip-message.js';
import { decodeRtp, dtmfPackets, encodeRtp, parseTelephoneEvent, RtpAudioReceiver } from '../../telephony/rtp.js';
import { parseSdpMedia, sdpOffer } from '../../telephony/sdp.js';
import { encodeG711 } from '../../telephony/g711.js';

describe('SIP messages', () => {
  it('parses compact and folded headers, and keeps the body to Content-Length', () => {
    const raw = 'SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport\r\nf: <sip:a@x>;tag=1\r\nt: "IVR" <sip:10086@x>;tag=99\r\ni: c1\r\nCSeq: 1\r\n INVITE\r\nl: 3\r\n\r\nabcdef';
    const m = parseSipMessage(raw);
    expect(m?.kind).toBe('response');
    if (m?.kind !== 'response') return;
    expect(m.status).toBe(180);
    expect(header(m, 'Call-ID')).toBe('c1');
    expect(header(m, 'cseq')).toBe('1 INVITE');
    expect(headerParam(header(m, 'via'), 'branch')).toBe('z9hG4bKabc');
    expect(headerParam(header(m, 'to'), 'tag')).toBe('99');
    expect(headerUri(header(m, 'to'))).toBe('sip:10086@x');
    expect(m.body).toBe('abc');
  });

  it('refuses what is not SIP, and serialises with a computed Content-Length', () => {
    expect(parseSipMessage('GET / HTTP/1.1\r\n\r\n')).toBeNull();
    expect(parseSipMessage('SIP/2.0 200 OK\r\nno colon here\r\n\r\n')).toBeNull();
    expect(parseSipMessage('SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n')).toBeNull();
    const text = serializeSipMessage({ kind: 'request', method: 'BYE', uri: 'sip:x@y', headers: [['call-id', 'c'], ['content-length', '99']], body: '中' });
    expect(text).toBe('BYE sip:x@y SIP/2.0\r\nCall-ID: c\r\nContent-Length: 3\r\n\r\n中');
    expect(uriHostPort('sip:10086@127.0.0.1:5070;transport=udp')).toEqual({ host: '127.0.0.1', port: 5070 });
    expect(uriHostPort('sip:[::1]')).toEqual({ host: '::1', port: 5060 });
  });
});

describe('digest authentication', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const challenge = parseDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
    const input = { challenge, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', cnonce: '0a4f113b', nc: 1 };
    expect(digestResponse(input)).toBe('6629fae49393a05397450978507c4ef1');
    const value = digestAuthorization(input);
    expect(value).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(value).toContain('nc=00000001');
    expect(value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('matches RFC 7616 §3.9.1 (MD5 and SHA-256)', () => {
    const base = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const input = { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };
    expect(digestResponse({ ...input, challenge: parseDigestChallenge(`Digest ${base}, algorithm=MD5`)! })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...input, challenge: parseDigestChallenge(`Digest ${base}, algorithm=SHA-256`)! })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('answers an RFC 2069 challenge without qop, and refuses unknown algorithms', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n"')!;
    expect(challenge.qop).toEqual([]);
    expect(digestAuthorization({ challenge, method: 'INVITE', uri: 'sip:x', username: 'u', password: 'p', cnonce: 'c', nc: 1 })).not.toContain('qop=');
    expect(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256-sess')).toBeNull();
    expect(parseDigestChallenge('Basic realm="r"')).toBeNull();
  });
});

describe('SDP', () => {
  it('offers PCMU, PCMA and telephone-event, and reads an answer', () => {
    const offer = sdpOffer({ address: '127.0.0.1', rtpPort: 40000, sessionId: 7 });
    expect(offer).toContain('m=audio 40000 RTP/AVP 0 8 101');
    expect(offer).toContain('a=rtpmap:101 telephone-event/8000');
    const answer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\n';
    expect(parseSdpMedia(answer)).toEqual({ address: '127.0.0.2', port: 6000, codec: 8, telephoneEvent: 96 });
  });

  it('says why an answer cannot be used', () => {
    expect(parseSdpMedia('v=0\r\nc=IN IP4 1.2.3.4\r\n')).toBe('SDP answer has no audio stream');
    expect(parseSdpMedia('v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n')).toMatch(/port 0/);
    expect(parseSdpMedia('v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n')).toMatch(/no G.711 codec/);
    expect(parseSdpMedia('v=0\r\nm=audio 6000 RTP/AVP 0\r\n')).toBe('SDP answer has no connection address');
  });
});

describe('G.711', () => {
  it('round-trips within the codec step, both laws, and matches known code points', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToAlaw(0)).toBe(0xd5);
    for (let s = -32000; s <= 32000; s += 97) {
      const tolerance = Math.max(16, Math.abs(s) / 16);
      expect(Math.abs(ulawToLinear(linearToUlaw(s)) - s)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(alawToLinear(linearToAlaw(s)) - s)).toBeLessThanOrEqual(tolerance);
    }
    for (let b = 0; b < 256; b++) {
      expect(linearToUlaw(ulawToLinear(b))).toBe(b === 0x7f ? 0xff : b);
      expect(linearToAlaw(alawToLinear(b))).toBe(b);
    }
  });
});

describe('RTP and RFC 4733', () => {
  it('encodes and decodes a packet; refuses RTCP and short datagrams', () => {
    const p = { payloadType: 0, marker: true, sequence: 65535, timestamp: 2 ** 32 - 1, ssrc: 0xdeadbeef, payload: Buffer.from([1, 2, 3]) };
    expect(decodeRtp(encodeRtp(p))).toEqual(p);
    expect(decodeRtp(Buffer.alloc(8))).toBeNull();
    const rtcp = encodeRtp({ ...p, payloadType: 72 });
    expect(decodeRtp(rtcp)).toBeNull();
  });

  it('plans a key press: marker first, one timestamp, growing duration, the end sent three times', () => {
    const packets = dtmfPackets('#', { durationMs: 100 });
    const events = packets.map((p) => parseTelephoneEvent(p.payload)!);
    expect(events.every((e) => e.event === 11)).toBe(true);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(events.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(() => dtmfPackets('x', { durationMs: 100 })).toThrow(/not a DTMF digit/);
  });

  it('lays received audio out by timestamp: reordering changes nothing, loss leaves a gap, duplicates are dropped', () => {
    const tone = (n: number) => encodeG711(Array.from({ length: 160 }, () => 1000 * (n + 1)), 'pcmu');
    const packets = [0, 1, 2, 3, 4].map((n) => encodeRtp({ payloadType: 0, marker: n === 0, sequence: 65534 + n, timestamp: 2 ** 32 - 320 + n * 160, ssrc: 5, payload: tone(n) }));
    const rx = new RtpAudioReceiver({ telephoneEvent: 101, maxSeconds: 10 });
    for (const i of [0, 2, 1, 4, 2]) rx.push(packets[i]!, i);
    const samples = rx.samples();
    expect(samples.length).toBe(800);
    expect(rx.duplicates).toBe(1);
    expect(Math.abs(samples[100]! - 1000)).toBeLessThan(40);
    expect(Math.abs(samples[200]! - 2000)).toBeLessThan(80);
    expect(Math.abs(samples[400]! - 3000)).toBeLessThan(120);
    expect(samples[500]).toBe(0); // packet 3 lost
    expect(Math.abs(samples[700]! - 5000)).toBeLessThan(200);
    expect(rx.arrivalAt(650)).toBe(4);
  });

  it('collects the keys the far end sends, once per event', () => {
    const rx = new RtpAudioReceiver({ telephoneEvent: 101, maxSeconds: 10 });
    let seq = 0;
    for (const [digit, ts] of [['5', 1000], ['*', 5000]] as const) {
      for (const p of dtmfPackets(digit, { durationMs: 60 })) rx.push(encodeRtp({ payloadType: 101, marker: p.marker, sequence: seq++, timestamp: ts, ssrc: 1, payload: p.payload }), 0);
    }
    expect(rx.events).toEqual(['5', '*']);
  });
});
