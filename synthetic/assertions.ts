// The assertions every transport may use on what it received: JSON values, latency bounds, a
// verdict shape. What a response *is* (an HTTP status, an SMS reply) is judged by its transport
// (probers/http-judge.ts, probers/smpp-judge.ts); this file knows no wire.
import { compiledJsonPath as pathOf, readJsonPath } from '../config/json-path.js';
import type { JsonAssertion } from '../config/index.js';
import type { FailureReason } from './result.js';

export type StepVerdict =
  | { ok: true; businessCode: string | null; extracted: Record<string, string> }
  | { ok: false; reason: FailureReason; detail: string; businessCode: string | null };

export function parseJsonBody(body: string): unknown {
  const first = body.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The failure text of a step slower than its bound, or null. */
export function latencyProblem(maxLatencyMs: number | null, durationMs: number): string | null {
  if (maxLatencyMs === null || durationMs <= maxLatencyMs) return null;
  return `took ${Math.round(durationMs)} ms, limit ${maxLatencyMs} ms`;
}

/** Returns a description of the failure, or null when the assertion holds. */
export function checkJsonAssertion(a: JsonAssertion, json: unknown): string | null {
  if (json === undefined) return `${a.path}: response is not JSON`;
  const value = readJsonPath(json, pathOf(a.path));
  const shown = JSON.stringify(value) ?? 'undefined';
  if (a.exists !== undefined && (value !== undefined) !== a.exists) return `${a.path}: expected ${a.exists ? 'to exist' : 'to be absent'}`;
  if (a.equals !== undefined && value !== a.equals) return `${a.path}: expected ${JSON.stringify(a.equals)}, got ${shown}`;
  if (a.notEquals !== undefined && value === a.notEquals) return `${a.path}: expected anything but ${JSON.stringify(a.notEquals)}`;
  if (a.matches !== undefined && (value === undefined || !new RegExp(a.matches).test(String(value)))) return `${a.path}: ${shown} does not match /${a.matches}/`;
  if (a.lessThan !== undefined && !(typeof value === 'number' && value < a.lessThan)) return `${a.path}: expected a number < ${a.lessThan}, got ${shown}`;
  if (a.greaterThan !== undefined && !(typeof value === 'number' && value > a.greaterThan)) return `${a.path}: expected a number > ${a.greaterThan}, got ${shown}`;
  return null;
}
