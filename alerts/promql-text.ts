// Small, exact ways of writing numbers, durations and matchers into PromQL and YAML, so that the
// generated text is the same on every machine (no locale, no float noise such as 0.00019999999999998).
import { formatPromDuration } from '../config/index.js';

/** A number as short as it can be written without losing what the config said (12 significant digits). */
export function promNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(Number(value.toPrecision(12)));
}

/** 1 - objective, written exactly as the config meant it (0.0002, not 0.00019999999999997797). */
export function errorBudgetRatio(objective: number): string {
  return promNumber(1 - objective);
}

export const promDuration = formatPromDuration;

/** `a|b|c` for a `=~` matcher; ids are [a-z0-9_] by schema, escaped anyway so a future id cannot widen a match. */
export function alternation(values: readonly string[]): string {
  return [...values].sort().map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\\\${c}`)).join('|');
}

/** `label="v"` for one value, `label=~"a|b"` for several. */
export function matcher(label: string, values: readonly string[]): string {
  if (values.length === 1) return `${label}="${values[0]}"`;
  return `${label}=~"${alternation(values)}"`;
}

/** `{a="x", b=~"y|z"}`, or the empty string when there is nothing to match on. */
export function selector(matchers: readonly string[]): string {
  return matchers.length === 0 ? '' : `{${matchers.join(', ')}}`;
}

/** A percentage for prose: 0.9998 → "99.98%". */
export function percent(ratio: number): string {
  return `${promNumber(ratio * 100)}%`;
}

/** A probability for prose: 2.2e-6 → "2.2e-6", 0.031 → "0.031". */
export function probability(p: number): string {
  if (p === 0) return '0';
  if (p >= 0.001) return String(Number(p.toPrecision(2)));
  const [mantissa, exponent] = p.toExponential(1).split('e');
  return `${mantissa}e${Number(exponent)}`;
}
