// Which prompt did the call play? Received 8 kHz audio is cut into 20 ms frames, each described
// by its level and by how its energy spreads over a dozen bands (Goertzel bins summed per band).
// The spread is a ratio, so a quieter or louder line changes nothing; the level is taken
// relative to the loud frames of the same stretch for the same reason. A reference is aligned to
// the audio with dynamic time warping inside a band, so a lost packet (20 ms of zeros) or a
// slightly different pace costs a little, not the match. Jitter never reaches here: the RTP
// receiver lays audio out by timestamp.

const RATE = 8000;
const FRAME = 160;
/** Band edges in Hz; bins every 50 Hz (the resolution of a 20 ms frame) are summed per band. */
const EDGES = [200, 400, 600, 800, 1000, 1250, 1500, 1800, 2100, 2500, 3000, 3600];
/** Below this RMS (about -50 dBFS) a frame is silence. */
const SILENCE_RMS = 100;
/** How far (frames) the alignment may drift from the diagonal: ±30 % pace, at least 3 frames. */
const BAND_FRACTION = 0.3;

const HANN = Float64Array.from({ length: FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME - 1)));
const BINS: number[][] = EDGES.slice(0, -1).map((lo, b) => {
  const out: number[] = [];
  for (let f = lo; f < EDGES[b + 1]!; f += 50) out.push(2 * Math.cos((2 * Math.PI * f) / RATE));
  return out;
});

interface Frame {
  silent: boolean;
  /** log10 energy; compared only after subtracting the stretch's loud level. */
  logEnergy: number;
  /** Square roots of the band shares, unit length (so a dot product is a similarity in [0, 1]). */
  shape: Float64Array;
}

function frameOf(samples: ArrayLike<number>, start: number): Frame {
  let sum = 0;
  const x = new Float64Array(FRAME);
  for (let i = 0; i < FRAME; i++) {
    const v = samples[start + i] ?? 0;
    sum += v * v;
    x[i] = v * HANN[i]!;
  }
  const rms = Math.sqrt(sum / FRAME);
  const shape = new Float64Array(BINS.length);
  if (rms < SILENCE_RMS) return { silent: true, logEnergy: 0, shape };
  let total = 0;
  BINS.forEach((coefficients, b) => {
    let power = 0;
    for (const c of coefficients) {
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < FRAME; i++) {
        const s0 = x[i]! + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      power += s1 * s1 + s2 * s2 - c * s1 * s2;
    }
    shape[b] = power;
    total += power;
  });
  let norm = 0;
  for (let b = 0; b < shape.length; b++) {
    shape[b] = Math.sqrt(total > 0 ? shape[b]! / total : 0);
    norm += shape[b]! * shape[b]!;
  }
  norm = Math.sqrt(norm) || 1;
  for (let b = 0; b < shape.length; b++) shape[b] = shape[b]! / norm;
  return { silent: false, logEnergy: Math.log10(sum / FRAME), shape };
}

/** The first sample of the first sounding frame at or after `from`; -1 when none. */
export function firstSound(samples: ArrayLike<number>, from: number): number {
  for (let start = from; start + FRAME <= samples.length; start += FRAME) {
    let sum = 0;
    for (let i = 0; i < FRAME; i++) sum += samples[start + i]! * samples[start + i]!;
    if (Math.sqrt(sum / FRAME) >= SILENCE_RMS) return start;
  }
  return -1;
}

function framesOf(samples: ArrayLike<number>, from = 0, to = samples.length): Frame[] {
  const out: Frame[] = [];
  for (let start = from; start + FRAME <= to; start += FRAME) out.push(frameOf(samples, start));
  return out;
}

/** The loud level of a stretch: the 90th percentile of its sounding frames' log energy. */
function loudLevel(frames: readonly Frame[]): number {
  const levels = frames.filter((f) => !f.silent).map((f) => f.logEnergy).sort((a, b) => a - b);
  return levels.length === 0 ? 0 : levels[Math.floor(levels.length * 0.9)]!;
}

/** Distance of two frames in [0, 2]: spectral shape and relative level (in units of 20 dB). */
function frameDistance(a: Frame, aLoud: number, b: Frame, bLoud: number): number {
  if (a.silent && b.silent) return 0;
  if (a.silent !== b.silent) return 1;
  let dot = 0;
  for (let i = 0; i < a.shape.length; i++) dot += a.shape[i]! * b.shape[i]!;
  const level = Math.min(1, Math.abs(a.logEnergy - aLoud - (b.logEnergy - bLoud)) / 2);
  return Math.max(0, 1 - dot) * 4 + 0.25 * level;
}

export interface ReferencePrompt {
  id: string;
  samples: Int16Array;
}

interface PreparedReference {
  id: string;
  frames: Frame[];
  loud: number;
}

export type PromptHearing =
  | { kind: 'silence'; fromSample: number }
  /** A reference matched: where it starts, where the pause after it begins, and its alignment cost (0 is identical). */
  | { kind: 'prompt'; id: string; cost: number; startSample: number; endSample: number }
  /** Sound, but no reference close enough: the nearest is named for the failure's detail. */
  | { kind: 'unknown'; nearest: string; cost: number; startSample: number };

export interface PromptMatcherOptions {
  /** Only a prompt's first seconds identify it (a menu is recognised before it ends). */
  maxReferenceMs?: number;
  /** Mean frame cost above which the nearest reference is not accepted. */
  acceptCost?: number;
}

/** Trims silence at both ends of a reference (its own lead-in is not part of what it sounds like). */
function trimmed(frames: Frame[]): Frame[] {
  let a = 0;
  let b = frames.length;
  while (a < b && frames[a]!.silent) a++;
  while (b > a && frames[b - 1]!.silent) b--;
  return frames.slice(a, b);
}

export class PromptMatcher {
  private readonly references: PreparedReference[];
  private readonly acceptCost: number;
  private readonly closeCost: number;
  /** Frames of audio the longest reference can be aligned to. */
  private readonly window: number;

  constructor(references: readonly ReferencePrompt[], opts: PromptMatcherOptions = {}) {
    const maxFrames = Math.round((opts.maxReferenceMs ?? 2000) / 20);
    this.acceptCost = opts.acceptCost ?? 0.3;
    this.closeCost = Math.min(this.acceptCost, 0.15);
    this.references = references.map((r) => {
      const frames = trimmed(framesOf(r.samples)).slice(0, maxFrames);
      if (frames.length === 0) throw new RangeError(`reference prompt "${r.id}" is silent`);
      return { id: r.id, frames, loud: loudLevel(frames) };
    });
    const longest = Math.max(0, ...this.references.map((r) => r.frames.length));
    this.window = longest + Math.max(3, Math.round(longest * BAND_FRACTION)) + 1;
  }

  get ids(): string[] {
    return this.references.map((r) => r.id);
  }

  /**
   * The prompt that starts at the first sound at or after `fromSample`; `silence` when there is
   * none. `only` restricts the candidates (a digit position hears only digits and the point).
   */
  identify(audio: ArrayLike<number>, fromSample = 0, only?: ReadonlySet<string>): PromptHearing {
    // Only the stretch a reference can cover is described (the spectral part is the costly one).
    const onset = firstSound(audio, fromSample);
    if (onset < 0) return { kind: 'silence', fromSample };
    const frames = framesOf(audio, onset, Math.min(audio.length, onset + this.window * FRAME));
    const loud = loudLevel(frames);
    // A short prompt ("元") can sound like the first syllable of a long one: among references
    // that match closely, the longest wins, since it explains more of what was heard; otherwise
    // the cheapest alignment does.
    let best: { ref: PreparedReference; cost: number; end: number } | null = null;
    const better = (a: { ref: PreparedReference; cost: number }, b: { ref: PreparedReference; cost: number }) => {
      const aClose = a.cost <= this.closeCost;
      const bClose = b.cost <= this.closeCost;
      if (aClose && bClose && a.ref.frames.length !== b.ref.frames.length) return a.ref.frames.length > b.ref.frames.length;
      return a.cost < b.cost;
    };
    for (const ref of this.references) {
      if (only && !only.has(ref.id)) continue;
      const aligned = align(ref, frames, 0, loud);
      if (aligned && (best === null || better({ ref, ...aligned }, best))) best = { ref, ...aligned };
    }
    const startSample = onset;
    if (!best) return { kind: 'unknown', nearest: '', cost: Infinity, startSample };
    if (best.cost > this.acceptCost) return { kind: 'unknown', nearest: best.ref.id, cost: best.cost, startSample };
    const matchEnd = onset + best.end * FRAME;
    return { kind: 'prompt', id: best.ref.id, cost: best.cost, startSample, endSample: this.nextPause(audio, matchEnd, matchEnd - startSample) };
  }

  /**
   * Prompts played one after another (a value read digit by digit): identifies, skips to where
   * the match ended, and repeats while sound remains, up to `maxItems`.
   */
  sequence(audio: ArrayLike<number>, fromSample: number, maxItems: number, only?: ReadonlySet<string>): PromptHearing[] {
    const out: PromptHearing[] = [];
    let at = fromSample;
    while (out.length < maxItems) {
      const heard = this.identify(audio, at, only);
      if (heard.kind === 'silence') break;
      out.push(heard);
      if (heard.kind !== 'prompt') break;
      at = heard.endSample;
    }
    return out;
  }

  /**
   * Where the next prompt can start after a match that ended at `from`: the alignment may end
   * inside the last syllable, so the rest of it is skipped up to a pause between prompts (60 ms
   * of silence: longer than a lost packet or the gap between syllables), looking no further than
   * half the match.
   */
  private nextPause(audio: ArrayLike<number>, from: number, matched: number): number {
    const limit = Math.min(audio.length, from + Math.max(FRAME * 8, Math.round(matched / 2)));
    let silentRun = 0;
    for (let start = from; start + FRAME <= limit; start += FRAME) {
      silentRun = frameOf(audio, start).silent ? silentRun + 1 : 0;
      if (silentRun === 3) return start - 2 * FRAME;
    }
    return from;
  }
}

/**
 * Open-end DTW of a whole reference against the audio from frame `start`: the reference must be
 * used entirely, the audio may end the match anywhere within the band. Returns the mean cost
 * along the best path and the audio frame after the match.
 */
function align(ref: PreparedReference, audio: readonly Frame[], start: number, audioLoud: number): { cost: number; end: number } | null {
  const n = ref.frames.length;
  const band = Math.max(3, Math.round(n * BAND_FRACTION));
  const width = n + band;
  const available = Math.min(width, audio.length - start);
  if (available <= 0) return null;
  const inf = Number.POSITIVE_INFINITY;
  let prev = new Float64Array(available).fill(inf);
  let prevLen = new Float64Array(available).fill(0);
  let cur = new Float64Array(available);
  let curLen = new Float64Array(available);
  for (let i = 0; i < n; i++) {
    cur.fill(inf);
    curLen.fill(0);
    const lo = Math.max(0, i - band);
    const hi = Math.min(available - 1, i + band);
    for (let j = lo; j <= hi; j++) {
      const d = frameDistance(ref.frames[i]!, ref.loud, audio[start + j]!, audioLoud);
      let bestPrev = inf;
      let bestLen = 0;
      if (i === 0 && j === 0) {
        bestPrev = 0;
      } else {
        const candidates: Array<[number, number]> = [];
        if (i > 0) candidates.push([prev[j]!, prevLen[j]!]);
        if (j > 0) candidates.push([cur[j - 1]!, curLen[j - 1]!]);
        if (i > 0 && j > 0) candidates.push([prev[j - 1]!, prevLen[j - 1]!]);
        for (const [c, len] of candidates) if (c < bestPrev) [bestPrev, bestLen] = [c, len];
      }
      if (bestPrev === inf) continue;
      cur[j] = bestPrev + d;
      curLen[j] = bestLen + 1;
    }
    [prev, cur] = [cur, prev];
    [prevLen, curLen] = [curLen, prevLen];
  }
  let best: { cost: number; end: number } | null = null;
  for (let j = 0; j < available; j++) {
    if (prev[j] === inf) continue;
    const mean = prev[j]! / prevLen[j]!;
    if (best === null || mean < best.cost) best = { cost: mean, end: start + j + 1 };
  }
  return best;
}

/**
 * A value read out as prompts (digits and a point), like a regex group on a web reply: the
 * hearings mapped through `symbols` (prompt id → character); null when any of them is not one.
 */
export function valueOf(hearings: readonly PromptHearing[], symbols: Readonly<Record<string, string>>): string | null {
  let out = '';
  for (const h of hearings) {
    if (h.kind !== 'prompt') return null;
    const symbol = symbols[h.id];
    if (symbol === undefined) return null;
    out += symbol;
  }
  return out === '' ? null : out;
}
