// Judging an SMS reply: the step's regex must match it (its named groups are what `extract`
// takes); a reply that does not, but carries a business code by the channel's rule, is the
// channel's refusal (business_error with that code); anything else is an unexpected answer.
import type { BusinessCodeRule, SmsStep } from '../../config/index.js';
import { latencyProblem, type StepVerdict } from '../assertions.js';

const compiled = new Map<string, RegExp>();
function regexOf(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    compiled.set(source, re);
  }
  return re;
}

/** How much of a reply a detail quotes: enough to read the refusal, not a whole statement. */
const QUOTE_MAX = 200;

export function judgeSmsReply(step: SmsStep, reply: { text: string; durationMs: number }, rule: BusinessCodeRule | null): StepVerdict {
  const quoted = reply.text.slice(0, QUOTE_MAX);
  const match = regexOf(step.sms.reply).exec(reply.text);
  const code = rule?.reply ? (regexOf(rule.reply).exec(reply.text)?.groups?.code ?? null) : null;
  if (!match) {
    if (code !== null && step.assert.businessCode && !rule?.success.includes(code)) {
      return { ok: false, reason: 'business_error', detail: `business code ${code}: ${quoted}`, businessCode: code };
    }
    return { ok: false, reason: 'assertion', detail: `reply does not match /${step.sms.reply}/: ${quoted}`, businessCode: code };
  }
  const slow = latencyProblem(step.assert.maxLatencyMs, reply.durationMs);
  if (slow) return { ok: false, reason: 'assertion', detail: slow, businessCode: code };
  const extracted: Record<string, string> = {};
  for (const [name, group] of Object.entries(step.extract)) {
    const value = match.groups?.[group];
    if (value === undefined) return { ok: false, reason: 'assertion', detail: `extract ${name}: group ${group} matched nothing in the reply`, businessCode: code };
    extracted[name] = value;
  }
  return { ok: true, businessCode: code, extracted };
}
