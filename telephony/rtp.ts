// RTP (RFC 3550) as a probe call needs it: G.711 audio received and laid out by timestamp (so
// reordering and jitter land each packet where it belongs and a lost packet leaves silence of
// its own length), and DTMF sent as RFC 4733 telephone events.
import { decodeG711 } from './g711.js';
import { PT_PCMA, PT_PCMU } from './sdp.js';

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export function encodeRtp(p: RtpPacket): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x80;
  head[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  head.writeUInt16BE(p.sequence & 0xffff, 2);
  head.writeUInt32BE(p.timestamp >>> 0, 4);
  head.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([head, p.payload]);
}

/** Null for anything that is not an RTP version 2 packet (RTCP on the same port, noise). */
export function decodeRtp(datagram: Buffer): RtpPacket | null {
  if (datagram.length < 12 || datagram[0]! >> 6 !== 2) return null;
  const payloadType = datagram[1]! & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return null; // RTCP
  const csrcCount = datagram[0]! & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (datagram[0]! & 0x10) {
    if (datagram.length < offset + 4) return null;
    offset += 4 + datagram.readUInt16BE(offset + 2) * 4;
  }
  let end = datagram.length;
  if (datagram[0]! & 0x20) end -= datagram[end - 1]!;
  if (end < offset) return null;
  return {
    payloadType,
    marker: (datagram[1]! & 0x80) !== 0,
    sequence: datagram.readUInt16BE(2),
    timestamp: datagram.readUInt32BE(4),
    ssrc: datagram.readUInt32BE(8),
    payload: datagram.subarray(offset, end),
  };
}

const DTMF_EVENTS = '0123456789*#ABCD';

export function dtmfEvent(digit: string): number {
  const event = DTMF_EVENTS.indexOf(digit.toUpperCase());
  if (digit.length !== 1 || event < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return event;
}

export function dtmfDigit(event: number): string | null {
  return DTMF_EVENTS[event] ?? null;
}

/** The 4-byte telephone-event payload (RFC 4733 §2.3). */
export function telephoneEventPayload(event: number, end: boolean, volume: number, duration: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = event;
  b[1] = (end ? 0x80 : 0) | (volume & 0x3f);
  b.writeUInt16BE(Math.min(duration, 0xffff), 2);
  return b;
}

export function parseTelephoneEvent(payload: Buffer): { event: number; end: boolean; volume: number; duration: number } | null {
  if (payload.length < 4) return null;
  return { event: payload[0]!, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: payload.readUInt16BE(2) };
}

/**
 * The packets of one key press, one per 20 ms: all carry the event's start timestamp, the first
 * has the marker bit, the duration grows, and the end packet goes three times (§2.5.1.4) so one
 * lost datagram does not lose the key.
 */
export function dtmfPackets(digit: string, opts: { durationMs: number; volume?: number }): Array<{ payload: Buffer; marker: boolean }> {
  const event = dtmfEvent(digit);
  const volume = opts.volume ?? 10;
  const steps = Math.max(1, Math.round(opts.durationMs / 20));
  const out: Array<{ payload: Buffer; marker: boolean }> = [];
  for (let i = 1; i < steps; i++) out.push({ payload: telephoneEventPayload(event, false, volume, i * 160), marker: i === 1 });
  for (let i = 0; i < 3; i++) out.push({ payload: telephoneEventPayload(event, true, volume, steps * 160), marker: steps === 1 && i === 0 });
  return out;
}

/** One received audio packet as the receiver kept it. */
interface HeldAudio {
  /** Where its samples lie on the call's timeline (32-bit wraps unrolled, sources joined). */
  position: number;
  samples: Int16Array;
  arrivedAt: number;
}

/**
 * Collects the audio of one call. Packets are placed by RTP timestamp, not by arrival, so the
 * layout is the sender's: jitter and reordering change nothing, a lost packet is a gap of zeros.
 * A bounded buffer: at most `maxSeconds` of audio is kept, the rest is counted and dropped.
 */
export class RtpAudioReceiver {
  private readonly held: HeldAudio[] = [];
  private start: number | null = null;
  private end = 0;
  private shift = 0;
  private lastUnrolled = 0;
  private ssrc: number | null = null;
  private readonly seen = new Set<number>();
  received = 0;
  duplicates = 0;
  dropped = 0;
  /** telephone-event packets seen (events the far end sent us), by digit, ends only. */
  readonly events: string[] = [];
  private readonly endedEvents = new Set<number>();

  constructor(private opts: { telephoneEvent: number | null; maxSeconds: number }) {}

  /** The payload type the answer chose for telephone-event (null: the far end sends none). */
  setTelephoneEvent(payloadType: number | null): void {
    this.opts.telephoneEvent = payloadType;
  }

  /** Feeds one datagram; `now` is when it arrived. Returns true when it was audio we kept. */
  push(datagram: Buffer, now: number): boolean {
    const packet = decodeRtp(datagram);
    if (!packet) return false;
    if (this.ssrc !== packet.ssrc) {
      // A new source (the IVR switched media streams): its timeline continues after what we have.
      this.shift = this.ssrc === null ? 0 : this.end - packet.timestamp;
      this.ssrc = packet.ssrc;
      this.lastUnrolled = packet.timestamp;
      this.seen.clear();
    }
    if (packet.payloadType === this.opts.telephoneEvent) {
      const te = parseTelephoneEvent(packet.payload);
      if (te?.end && !this.endedEvents.has(packet.timestamp)) {
        this.endedEvents.add(packet.timestamp);
        const digit = dtmfDigit(te.event);
        if (digit) this.events.push(digit);
      }
      return false;
    }
    if (packet.payloadType !== PT_PCMU && packet.payloadType !== PT_PCMA) return false;
    if (this.seen.has(packet.sequence)) {
      this.duplicates++;
      return false;
    }
    const position = this.unroll(packet.timestamp) + this.shift;
    const start = Math.min(this.start ?? position, position);
    const end = Math.max(this.end, position + packet.payload.length);
    if (end - start > this.opts.maxSeconds * 8000) {
      this.dropped++;
      return false;
    }
    this.seen.add(packet.sequence);
    this.start = start;
    this.end = end;
    this.held.push({ position, samples: decodeG711(packet.payload, packet.payloadType === PT_PCMU ? 'pcmu' : 'pcma'), arrivedAt: now });
    this.received++;
    return true;
  }

  private unroll(ts: number): number {
    // Choose the 2^32 wrap that lands nearest the previous timestamp.
    const base = this.lastUnrolled - (((this.lastUnrolled % 2 ** 32) + 2 ** 32) % 2 ** 32);
    let best = base + ts;
    for (const candidate of [best - 2 ** 32, best + 2 ** 32]) if (Math.abs(candidate - this.lastUnrolled) < Math.abs(best - this.lastUnrolled)) best = candidate;
    this.lastUnrolled = best;
    return best;
  }

  /** The audio so far, 8 kHz linear PCM, gaps as zeros. */
  samples(): Int16Array {
    const start = this.start ?? 0;
    const out = new Int16Array(this.end - start);
    for (const h of this.held) out.set(h.samples, h.position - start);
    return out;
  }

  /** When the first packet whose samples reach `offset` arrived (for timing a prompt's start). */
  arrivalAt(offset: number): number | null {
    let best: HeldAudio | null = null;
    const at = (this.start ?? 0) + offset;
    for (const h of this.held) if (h.position + h.samples.length > at && (best === null || h.position < best.position)) best = h;
    return best?.arrivedAt ?? null;
  }
}
