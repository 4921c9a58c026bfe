// The sandbox IVR's voice, made by code: every prompt is synthesised from its text,
// deterministically (the same text gives the same samples on every machine), so the repository
// holds no audio. It is not speech; it is a voice-like signal with what a prompt recogniser
// listens to: syllables with formants and a pitch contour, pauses between them and at
// punctuation, one distinct sound per character.

export const PROMPT_SAMPLE_RATE = 8000;

/** Formant pairs (F1, F2 in Hz) on a grid, so that two vowels differ in at least one formant. */
const VOWELS: ReadonlyArray<readonly [number, number]> = [
  [300, 900], [300, 1300], [300, 1800], [300, 2300],
  [450, 900], [450, 1300], [450, 1800], [450, 2300],
  [600, 900], [600, 1300], [600, 1800], [600, 2300],
  [750, 900], [750, 1300], [750, 1800], [750, 2300],
];

/** Pitch contours (Hz at start, middle, end): level, rising, dipping, falling, as Mandarin's tones. */
const TONES: ReadonlyArray<readonly [number, number, number]> = [
  [230, 230, 230], [170, 200, 250], [200, 160, 210], [260, 210, 150],
];

/**
 * The digits and the decimal point are what values are read from, so their sounds are chosen,
 * not hashed: eleven different vowels, no two alike.
 */
const CHOSEN: Readonly<Record<string, readonly [number, number]>> = {
  零: [0, 1], 一: [3, 0], 二: [5, 3], 三: [10, 0], 四: [2, 3], 五: [4, 2], 六: [9, 1], 七: [7, 0], 八: [12, 0], 九: [13, 2], 点: [15, 3],
};

const ASCII_DIGITS = '零一二三四五六七八九';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Every other character hashes onto the vowels no digit uses, so none sounds like a digit. */
const FREE: ReadonlyArray<readonly [number, number]> = VOWELS.flatMap((_, v) => TONES.map((__, t) => [v, t] as const)).filter(
  ([v]) => !Object.values(CHOSEN).some(([cv]) => cv === v),
);

function voiceOf(ch: string): { formants: readonly [number, number]; tone: readonly [number, number, number] } {
  const [v, t] = CHOSEN[ch] ?? FREE[fnv1a(ch) % FREE.length]!;
  return { formants: VOWELS[v]!, tone: TONES[t]! };
}

const SYLLABLE_MS = 200;
const GAP_MS = 40;
const PAUSE_MS = 160;
const PEAK = 12000;

function resonance(f: number, centre: number, bandwidth: number): number {
  const x = (f - centre) / bandwidth;
  return 1 / (1 + x * x);
}

function syllable(ch: string): Float64Array {
  const { formants, tone } = voiceOf(ch);
  const n = (SYLLABLE_MS * PROMPT_SAMPLE_RATE) / 1000;
  const out = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const f0 = t < 0.5 ? tone[0] + (tone[1] - tone[0]) * t * 2 : tone[1] + (tone[2] - tone[1]) * (t - 0.5) * 2;
    phase += (2 * Math.PI * f0) / PROMPT_SAMPLE_RATE;
    let v = 0;
    for (let k = 1; k * f0 < 3600; k++) {
      const f = k * f0;
      v += (resonance(f, formants[0], 80) + 0.8 * resonance(f, formants[1], 110)) * Math.sin(k * phase);
    }
    const attack = Math.min(1, i / (0.02 * PROMPT_SAMPLE_RATE));
    const release = Math.min(1, (n - i) / (0.04 * PROMPT_SAMPLE_RATE));
    out[i] = v * attack * release;
  }
  return out;
}

/** Samples (8 kHz, 16-bit) of a prompt's text; ASCII digits are read as Chinese digits. */
export function synthesisePrompt(text: string): Int16Array {
  const parts: Float64Array[] = [];
  const silence = (ms: number) => new Float64Array((ms * PROMPT_SAMPLE_RATE) / 1000);
  for (const raw of text) {
    const ch = /[0-9]/.test(raw) ? ASCII_DIGITS[Number(raw)]! : raw === '.' ? '点' : raw;
    if (/[\s，。、,;；：:！？!?（）()]/.test(ch)) {
      parts.push(silence(PAUSE_MS));
      continue;
    }
    parts.push(syllable(ch), silence(GAP_MS));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  let peak = 0;
  for (const v of joined) peak = Math.max(peak, Math.abs(v));
  const out = new Int16Array(total);
  for (let i = 0; i < total; i++) out[i] = peak === 0 ? 0 : Math.round((joined[i]! / peak) * PEAK);
  return out;
}
