// The SDP offer/answer of a probe call (RFC 3264, RFC 4566): one audio stream, G.711 µ-law and
// A-law, and telephone-event for DTMF (RFC 4733). Only what a call to an IVR needs.

export const PT_PCMU = 0;
export const PT_PCMA = 8;
/** Our dynamic payload type for telephone-event; the answer may choose another. */
export const PT_TELEPHONE_EVENT_OFFER = 101;

export function sdpOffer(opts: { address: string; rtpPort: number; sessionId: number }): string {
  const ip = opts.address.includes(':') ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=channel-health ${opts.sessionId} ${opts.sessionId} IN ${ip} ${opts.address}`,
    's=channel-health probe',
    `c=IN ${ip} ${opts.address}`,
    't=0 0',
    `m=audio ${opts.rtpPort} RTP/AVP ${PT_PCMU} ${PT_PCMA} ${PT_TELEPHONE_EVENT_OFFER}`,
    `a=rtpmap:${PT_PCMU} PCMU/8000`,
    `a=rtpmap:${PT_PCMA} PCMA/8000`,
    `a=rtpmap:${PT_TELEPHONE_EVENT_OFFER} telephone-event/8000`,
    `a=fmtp:${PT_TELEPHONE_EVENT_OFFER} 0-16`,
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export interface SdpMedia {
  address: string;
  port: number;
  /** The first G.711 payload type of the answer (the codec of the call). */
  codec: typeof PT_PCMU | typeof PT_PCMA;
  /** The telephone-event payload type, or null when the far end did not accept RFC 4733. */
  telephoneEvent: number | null;
}

/** Reads the audio stream of an SDP body; a string saying why when it cannot be used. */
export function parseSdpMedia(body: string): SdpMedia | string {
  const lines = body.split(/\r?\n/).map((l) => l.trim());
  let sessionAddress: string | undefined;
  let mediaAddress: string | undefined;
  let media: { port: number; payloads: number[] } | undefined;
  const rtpmap = new Map<number, string>();
  for (const line of lines) {
    const c = /^c=IN IP[46] (\S+)/.exec(line);
    if (c) {
      if (media) mediaAddress = c[1];
      else sessionAddress = c[1];
      continue;
    }
    const m = /^m=(\w+) (\d+) RTP\/AVP ((?:\d+ ?)+)$/.exec(line);
    if (m) {
      if (media) break; // only the first audio stream is ours
      if (m[1] !== 'audio') continue;
      media = { port: Number(m[2]), payloads: m[3]!.trim().split(/\s+/).map(Number) };
      continue;
    }
    const a = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (a && media) rtpmap.set(Number(a[1]), `${a[2]!.toLowerCase()}/${a[3]}`);
  }
  if (!media) return 'SDP answer has no audio stream';
  if (media.port === 0) return 'SDP answer rejected the audio stream (port 0)';
  const address = mediaAddress ?? sessionAddress;
  if (!address) return 'SDP answer has no connection address';
  const codec = media.payloads.find((p) => p === PT_PCMU || p === PT_PCMA || rtpmap.get(p) === 'pcmu/8000' || rtpmap.get(p) === 'pcma/8000');
  if (codec === undefined) return `SDP answer offers no G.711 codec (payloads ${media.payloads.join(' ')})`;
  const resolved = codec === PT_PCMU || rtpmap.get(codec) === 'pcmu/8000' ? PT_PCMU : PT_PCMA;
  const te = media.payloads.find((p) => rtpmap.get(p) === 'telephone-event/8000');
  return { address, port: media.port, codec: resolved, telephoneEvent: te ?? null };
}
