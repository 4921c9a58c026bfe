// How figures read in the HTML and Markdown: one place, so both say the same thing the same way.
import type { Disagreement } from './model.js';
import { formatLocal } from './period.js';

export const MISSING = '—';

/** 0.99981 → `99.981%`; three decimals because five sigma lives in the third. */
export function percent(ratio: number | null, digits = 3): string {
  return ratio === null ? MISSING : `${(ratio * 100).toFixed(digits)}%`;
}

/** Percentage points with a sign: `+0.012 pp`, `−1.500 pp`. */
export function points(pp: number | null): string {
  if (pp === null) return MISSING;
  return `${pp < 0 ? '−' : '+'}${Math.abs(pp).toFixed(3)} pp`;
}

/** A relative change with a sign: `+12.5%`. */
export function change(ratio: number | null): string {
  if (ratio === null) return MISSING;
  return `${ratio < 0 ? '−' : '+'}${Math.abs(ratio * 100).toFixed(1)}%`;
}

export function budget(spent: number | null): string {
  return spent === null ? MISSING : `${(spent * 100).toFixed(0)}%`;
}

export function count(n: number | null): string {
  if (n === null) return MISSING;
  return n.toLocaleString('en-US', { maximumFractionDigits: Number.isInteger(n) ? 0 : 1 });
}

export function perSecond(n: number | null): string {
  if (n === null) return MISSING;
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : Math.abs(n) >= 1 ? 2 : 4;
  return `${n.toFixed(digits)}/s`;
}

export function seconds(s: number | null): string {
  if (s === null) return MISSING;
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

/** 5400 → `1h 30m`; 42 → `42s`. */
export function duration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', rest && !d && !h ? `${rest}s` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0s';
}

/** `UTC+08:00` → 480. */
export function offsetMinutes(utcOffset: string): number {
  const m = /^UTC([+-])(\d{2}):(\d{2})$/.exec(utcOffset);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** An ISO instant on the report's business clock: `2026-11-18 20:00`. */
export function localTime(iso: string, utcOffset: string): string {
  return formatLocal(Date.parse(iso), offsetMinutes(utcOffset));
}

const VERDICT_TEXT = { met: 'met', missed: 'MISSED', no_data: 'no data', no_objective: 'no objective' } as const;
export function verdict(v: keyof typeof VERDICT_TEXT): string {
  return VERDICT_TEXT[v];
}

export function basis(b: 'real' | 'probe'): string {
  return b === 'real' ? 'real' : 'probes';
}

/** Which basis looks worse and how: `probes worse: verdicts differ`. */
export function agreement(d: Disagreement | null): string {
  if (d === null) return 'agree';
  return `${basis(d.worse)} worse: ${d.kind === 'verdicts' ? 'verdicts differ' : 'far apart'}`;
}
