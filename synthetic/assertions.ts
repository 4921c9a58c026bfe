// Judging one step's response: status, business result code, JSON assertions, latency, then
// extraction. The first problem found is the step's failure, with its reason from the closed set.
import { compileJsonPath, readJsonPath, type JsonPathSegment } from '../config/json-path.js';
import type { BusinessCodeRule, JsonAssertion, Step } from '../config/index.js';
import type { FailureReason } from './result.js';

export interface StepResponse {
  status: number;
  body: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
  durationMs: number;
}

export type StepVerdict =
  | { ok: true; businessCode: string | null; extracted: Record<string, string> }
  | { ok: false; reason: FailureReason; detail: string; businessCode: string | null };

const compiled = new Map<string, JsonPathSegment[]>();
function pathOf(p: string): JsonPathSegment[] {
  let segments = compiled.get(p);
  if (!segments) {
    segments = compileJsonPath(p);
    compiled.set(p, segments);
  }
  return segments;
}

export function parseJsonBody(body: string): unknown {
  const first = body.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export function judgeStep(step: Step, response: StepResponse, businessRule: BusinessCodeRule | null): StepVerdict {
  let businessCode: string | null = null;
  if (businessRule && response.json !== undefined) {
    const code = readJsonPath(response.json, pathOf(businessRule.path));
    if (code !== undefined && code !== null) businessCode = String(code);
  }
  if (!step.assert.status.includes(response.status)) {
    return { ok: false, reason: 'http_status', detail: `HTTP ${response.status}, expected ${step.assert.status.join('|')}`, businessCode };
  }
  if (step.assert.businessCode && businessRule) {
    if (response.json === undefined) return { ok: false, reason: 'assertion', detail: 'response is not JSON; cannot read the business code', businessCode };
    if (businessCode === null) return { ok: false, reason: 'assertion', detail: `no business code at ${businessRule.path}`, businessCode };
    if (!businessRule.success.includes(businessCode)) {
      const message = readJsonPath(response.json, pathOf('$.message'));
      return { ok: false, reason: 'business_error', detail: `business code ${businessCode}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`, businessCode };
    }
  }
  for (const assertion of step.assert.json) {
    const failure = checkJsonAssertion(assertion, response.json);
    if (failure) return { ok: false, reason: 'assertion', detail: failure, businessCode };
  }
  if (step.assert.maxLatencyMs !== null && response.durationMs > step.assert.maxLatencyMs) {
    return { ok: false, reason: 'assertion', detail: `took ${Math.round(response.durationMs)} ms, limit ${step.assert.maxLatencyMs} ms`, businessCode };
  }
  const extracted: Record<string, string> = {};
  for (const [name, p] of Object.entries(step.extract)) {
    const value = response.json === undefined ? undefined : readJsonPath(response.json, pathOf(p));
    if (value === undefined || value === null || typeof value === 'object') {
      return { ok: false, reason: 'assertion', detail: `extract ${name}: no scalar value at ${p}`, businessCode };
    }
    extracted[name] = String(value);
  }
  return { ok: true, businessCode, extracted };
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
