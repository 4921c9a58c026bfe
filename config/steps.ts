// A check's steps: each request's templates checked against what the run will know (the channel,
// the account, the sandbox, values extracted by earlier steps), its extractions and assertions
// compiled, and the step normalized with its defaults.
import { CONFIG_DEFAULTS } from './defaults.js';
import type { ConfigProblem } from './errors.js';
import type { RawConfig, RawStep } from './schema.js';
import { parseTemplate, templateStrings, TEMPLATE_ROOTS } from './template-syntax.js';
import type { Step } from './types.js';
import { normalizeSipStep, SANDBOX_SIP_URL_PLACEHOLDER } from './transport-sip.js';
import { normalizeSmsStep, SANDBOX_SMPP_URL_PLACEHOLDER } from './transport-smpp.js';
import { checkAbsoluteUrl, tryJsonPath } from './value-checks.js';

/** Fields a template may read under each fixed root; `vars` is checked against earlier extractions. */
const TEMPLATE_FIELDS: Record<string, readonly string[]> = {
  channel: ['id', 'baseUrl'],
  transaction: ['id', 'tier'],
  account: ['msisdn', 'pin'],
  run: ['id', 'epochMs', 'month', 'prevMonth', 'checkId', 'location'],
  sandbox: ['url', 'smppUrl', 'sipUrl'],
};

/** Stand-in for {{sandbox.url}} while validating; the real one is known once the server listens. */
export const SANDBOX_URL_PLACEHOLDER = 'http://127.0.0.1:9470/sandbox';

export function normalizeSteps(
  rawSteps: RawStep[],
  where: string,
  raw: RawConfig,
  channelId: string,
  sandbox: boolean,
  hasAccount: boolean,
  problems: ConfigProblem[],
): Step[] {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  const channel = raw.channels[channelId];
  const names = new Set<string>();
  const extracted = new Set<string>();
  return rawSteps.map((s, i) => {
    const sw = `${where}[${i}]`;
    if (names.has(s.name)) problem(`${sw}.name`, `step name "${s.name}" is used twice`);
    names.add(s.name);
    const ctx = { sandbox, hasAccount, vars: extracted };
    // A step's shape is its channel's transport's.
    const transport = channel?.transport ?? 'http';
    if (transport === 'sip' || s.sip) {
      if (transport !== 'sip') problem(`${sw}.sip`, `channel "${channelId}" uses transport ${transport}: give ${transport === 'smpp' ? 'sms' : 'request'}, not sip`);
      if (s.request) problem(`${sw}.request`, `channel "${channelId}" uses transport sip: give sip (dial, press or hangup), not request`);
      if (s.sms) problem(`${sw}.sms`, `channel "${channelId}" uses transport sip: give sip (dial, press or hangup), not sms`);
      if (!s.sip) {
        if (!s.request && !s.sms) problem(sw, 'needs sip (dial, press or hangup)');
        return placeholderStep(s.name);
      }
      if (s.sip.press !== undefined) renderForValidation(s.sip.press, ctx, `${sw}.sip.press`, problems, extracted);
      const step = normalizeSipStep(s, sw, channel, i, problems);
      for (const name of Object.keys(s.extract ?? {})) extracted.add(name);
      return step ?? placeholderStep(s.name);
    }
    if (transport === 'smpp' || s.sms) {
      if (transport !== 'smpp') problem(`${sw}.sms`, `channel "${channelId}" uses transport ${transport}: give request, not sms`);
      if (s.request) problem(`${sw}.request`, `channel "${channelId}" uses transport smpp: give sms (text and reply), not request`);
      if (!s.sms) {
        if (!s.request) problem(sw, 'needs sms (text and reply)');
        return placeholderStep(s.name);
      }
      renderForValidation(s.sms.text, ctx, `${sw}.sms.text`, problems, extracted);
      const step = normalizeSmsStep(s, sw, channel, problems);
      for (const name of Object.keys(s.extract ?? {})) extracted.add(name);
      return step ?? placeholderStep(s.name);
    }
    if (!s.request) {
      problem(sw, `needs request (channel "${channelId}" uses transport http)`);
      return placeholderStep(s.name);
    }
    const url = renderForValidation(s.request.url, ctx, `${sw}.request.url`, problems, extracted, channel?.baseUrl);
    if (url !== null) checkAbsoluteUrl(url, `${sw}.request.url`, problems);
    for (const [h, v] of Object.entries(s.request.headers ?? {})) renderForValidation(v, ctx, `${sw}.request.headers.${h}`, problems, extracted);
    if (s.request.body !== undefined) renderForValidation(s.request.body, ctx, `${sw}.request.body`, problems, extracted);
    if (s.request.body !== undefined && s.request.json !== undefined) problem(`${sw}.request.body`, 'give either json or body, not both');
    for (const t of templateStrings(s.request.json)) renderForValidation(t.text, ctx, `${sw}.request.json${t.path}`, problems, extracted);
    for (const [name, p] of Object.entries(s.extract ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problem(`${sw}.extract.${name}`, 'variable names are letters, digits and _');
      tryJsonPath(p, `${sw}.extract.${name}`, problems);
    }
    (s.assert?.json ?? []).forEach((a, j) => {
      const aw = `${sw}.assert.json[${j}]`;
      tryJsonPath(a.path, `${aw}.path`, problems);
      const kinds = ['equals', 'notEquals', 'exists', 'matches', 'lessThan', 'greaterThan'].filter((k) => k in a);
      if (kinds.length === 0) problem(aw, 'needs one of equals, notEquals, exists, matches, lessThan, greaterThan');
      if (a.matches !== undefined) {
        try {
          new RegExp(a.matches);
        } catch (err) {
          problem(`${aw}.matches`, `not a valid regular expression: ${(err as Error).message}`);
        }
      }
    });
    // Extracted names become visible to later steps only.
    for (const name of Object.keys(s.extract ?? {})) extracted.add(name);
    return {
      name: s.name,
      always: s.always ?? false,
      request: {
        method: s.request.method ?? CONFIG_DEFAULTS.method,
        url: s.request.url,
        headers: { ...(s.request.headers ?? {}) },
        ...(s.request.json !== undefined ? { json: s.request.json } : {}),
        ...(s.request.body !== undefined ? { body: s.request.body } : {}),
      },
      extract: { ...(s.extract ?? {}) },
      assert: {
        status: s.assert?.status ?? CONFIG_DEFAULTS.stepStatus,
        businessCode: s.assert?.businessCode ?? channel?.businessCode !== undefined,
        maxLatencyMs: s.assert?.maxLatencyMs ?? null,
        json: s.assert?.json ?? [],
      },
    };
  });
}

/**
 * Checks every reference of a template and renders it with stand-in values, so a URL can be
 * tested for absoluteness before anything runs. Returns null when the template is unusable.
 */
export function renderForValidation(
  template: string,
  ctx: { sandbox: boolean; hasAccount?: boolean; vars?: Set<string> },
  where: string,
  problems: ConfigProblem[],
  vars: Set<string>,
  channelBaseUrl?: string,
): string | null {
  let parts;
  try {
    parts = parseTemplate(template);
  } catch (err) {
    problems.push({ path: where, message: (err as Error).message });
    return null;
  }
  let ok = true;
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const fail = (message: string) => {
      ok = false;
      problems.push({ path: where, message: `${part.source}: ${message}` });
    };
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(part.root) || part.root === 'secrets') {
      fail(`unknown variable root "${part.root}" (known: ${TEMPLATE_ROOTS.filter((r) => r !== 'secrets').join(', ')})`);
      continue;
    }
    const field = part.path[0];
    if (part.root === 'vars') {
      if (part.path.length !== 1 || !vars.has(field as string)) fail(`"${part.path.join('.')}" is not extracted by an earlier step`);
      out += 'value';
      continue;
    }
    if (part.path.length !== 1 || !TEMPLATE_FIELDS[part.root]?.includes(field as string)) {
      fail(`unknown field (known under ${part.root}: ${TEMPLATE_FIELDS[part.root]?.join(', ')})`);
      continue;
    }
    if (part.root === 'sandbox' && !ctx.sandbox) {
      fail('the sandbox is not enabled (service.sandbox: true)');
      continue;
    }
    if (part.root === 'account' && ctx.hasAccount === false) {
      fail('the check has no account pool (set accountPool on the check, its flow or checkDefaults)');
      continue;
    }
    if (part.root === 'channel' && field === 'baseUrl') {
      if (channelBaseUrl === undefined) {
        fail('channel.baseUrl cannot be used here');
        continue;
      }
      out += renderSandboxOnly(channelBaseUrl);
      continue;
    }
    out += part.root === 'sandbox' ? (field === 'smppUrl' ? SANDBOX_SMPP_URL_PLACEHOLDER : field === 'sipUrl' ? SANDBOX_SIP_URL_PLACEHOLDER : SANDBOX_URL_PLACEHOLDER) : 'value';
  }
  return ok ? out : null;
}

function renderSandboxOnly(template: string): string {
  return template
    .replace(/\{\{\s*sandbox\.url\s*\}\}/g, SANDBOX_URL_PLACEHOLDER)
    .replace(/\{\{\s*sandbox\.smppUrl\s*\}\}/g, SANDBOX_SMPP_URL_PLACEHOLDER)
    .replace(/\{\{\s*sandbox\.sipUrl\s*\}\}/g, SANDBOX_SIP_URL_PLACEHOLDER);
}

/** Stands in for a step whose problems are already reported: the config is refused anyway. */
function placeholderStep(name: string): Step {
  return { name, always: false, request: { method: 'GET', url: '', headers: {} }, extract: {}, assert: { status: [], businessCode: false, maxLatencyMs: null, json: [] } };
}
