// Judging an HTTP step's response: status, the channel's business code in the JSON envelope,
// JSON assertions, latency, then extraction by JSON path. The first problem found is the step's
// failure, with its reason from the closed set.
import { compiledJsonPath as pathOf, readJsonPath } from '../../config/json-path.js';
import type { BusinessCodeRule, HttpStep } from '../../config/index.js';
import { checkJsonAssertion, latencyProblem, parseJsonBody, type StepVerdict } from '../assertions.js';

export interface HttpStepResponse {
  status: number;
  body: string;
  /** The parsed body when it is JSON; parsed here from `body` when absent. */
  json?: unknown;
  /** Total time of the exchange: what `assert.maxLatencyMs` bounds. */
  totalMs?: number;
  durationMs?: number;
}

export function judgeHttpStep(step: HttpStep, response: HttpStepResponse, businessRule: BusinessCodeRule | null): StepVerdict {
  const json = 'json' in response ? response.json : parseJsonBody(response.body);
  const durationMs = response.totalMs ?? response.durationMs ?? 0;
  let businessCode: string | null = null;
  if (businessRule && json !== undefined) {
    const code = readJsonPath(json, pathOf(businessRule.path));
    if (code !== undefined && code !== null) businessCode = String(code);
  }
  if (!step.assert.status.includes(response.status)) {
    return { ok: false, reason: 'http_status', detail: `HTTP ${response.status}, expected ${step.assert.status.join('|')}`, businessCode };
  }
  if (step.assert.businessCode && businessRule) {
    if (json === undefined) return { ok: false, reason: 'assertion', detail: 'response is not JSON; cannot read the business code', businessCode };
    if (businessCode === null) return { ok: false, reason: 'assertion', detail: `no business code at ${businessRule.path}`, businessCode };
    if (!businessRule.success.includes(businessCode)) {
      const message = readJsonPath(json, pathOf('$.message'));
      return { ok: false, reason: 'business_error', detail: `business code ${businessCode}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`, businessCode };
    }
  }
  for (const assertion of step.assert.json) {
    const failure = checkJsonAssertion(assertion, json);
    if (failure) return { ok: false, reason: 'assertion', detail: failure, businessCode };
  }
  const slow = latencyProblem(step.assert.maxLatencyMs, durationMs);
  if (slow) return { ok: false, reason: 'assertion', detail: slow, businessCode };
  const extracted: Record<string, string> = {};
  for (const [name, p] of Object.entries(step.extract)) {
    const value = json === undefined ? undefined : readJsonPath(json, pathOf(p));
    if (value === undefined || value === null || typeof value === 'object') {
      return { ok: false, reason: 'assertion', detail: `extract ${name}: no scalar value at ${p}`, businessCode };
    }
    extracted[name] = String(value);
  }
  return { ok: true, businessCode, extracted };
}
