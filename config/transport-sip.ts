// The sip transport's slice of the config: a channel's hotline number, trunk credentials and
// reference prompts; a step's action on the call (dial, press, hangup) and the prompts it must
// hear next, with `<group>` slots for values read out digit by digit. Checked here, before
// anything runs, and normalized with the defaults.
import { CONFIG_DEFAULTS } from './defaults.js';
import type { ConfigProblem } from './errors.js';
import type { RawConfig, RawStep } from './schema.js';
import type { PromptToken, SipChannelSettings, SipStep } from './types.js';

type RawChannel = RawConfig['channels'][string];

/** Stand-in for {{sandbox.sipUrl}} while validating; the real port is known once the IVR listens. */
export const SANDBOX_SIP_URL_PLACEHOLDER = 'sip:127.0.0.1:5060';

/** The prompts a value is read out with: 0-9 and the decimal point. */
export const DIGIT_PROMPTS: Readonly<Record<string, string>> = Object.freeze({ ...Object.fromEntries([...'0123456789'].map((d) => [d, d])), point: '.' });

/** The digit prompts a channel has unless it names its own: each digit's word, and 点 for the point. */
const DEFAULT_DIGIT_PROMPTS: Readonly<Record<string, string>> = Object.freeze({ ...Object.fromEntries([...'0123456789'].map((d) => [d, d])), point: '点' });

/** `sip:HOST:PORT` (UDP) as the prober sends to it, or null. */
export function parseSipUrl(text: string): { host: string; port: number } | null {
  const m = /^sip:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function normalizeSipChannel(c: RawChannel, where: string, renderedBaseUrl: string | null, problems: ConfigProblem[]): SipChannelSettings | null {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  if (c.transport !== 'sip') {
    if (c.sip) problem(`${where}.sip`, `only applies to transport sip (transport is ${c.transport})`);
    return null;
  }
  if (renderedBaseUrl !== null && !parseSipUrl(renderedBaseUrl)) problem(`${where}.baseUrl`, `must be sip:HOST:PORT for transport sip (got "${renderedBaseUrl}")`);
  if (c.businessCode) problem(`${where}.businessCode`, 'a sip channel answers with prompts, not codes: a "system busy" prompt is expected by name and fails the step as heard');
  if (!c.sip) {
    problem(where, 'transport sip needs a sip section (number, prompts)');
    return null;
  }
  if (c.sip.username !== undefined && c.sip.password === undefined) problem(`${where}.sip.password`, 'is required with sip.username');
  if (c.sip.password !== undefined && c.sip.username === undefined) problem(`${where}.sip.username`, 'is required with sip.password');
  (c.sip.busyPrompts ?? []).forEach((name, i) => {
    if (!(name in c.sip!.prompts) && !(name in DEFAULT_DIGIT_PROMPTS)) problem(`${where}.sip.busyPrompts[${i}]`, `unknown prompt "${name}" (not in sip.prompts)`);
  });
  const lines = c.sip.trunkLines ?? (c.rateLimitPerSecond !== undefined ? Math.ceil(c.rateLimitPerSecond) : CONFIG_DEFAULTS.sip.trunkLines);
  return {
    number: c.sip.number,
    credentials: c.sip.username !== undefined && c.sip.password !== undefined ? { username: c.sip.username, password: c.sip.password } : null,
    prompts: { ...DEFAULT_DIGIT_PROMPTS, ...c.sip.prompts },
    trunkLines: lines,
    busyPrompts: [...(c.sip.busyPrompts ?? [])],
  };
}

/** Parses `sip.expect`: prompt names and `<group>` slots, space-separated. */
export function parsePromptPattern(text: string): PromptToken[] | string {
  const tokens = text.trim().split(/\s+/);
  const out: PromptToken[] = [];
  for (const token of tokens) {
    const group = /^<([A-Za-z_][A-Za-z0-9_]*)>$/.exec(token);
    if (group) out.push({ kind: 'value', group: group[1] as string });
    else if (/^[A-Za-z0-9_]{1,32}$/.test(token)) out.push({ kind: 'prompt', name: token });
    else return `"${token}" is neither a prompt name nor a <group>`;
  }
  if (out[0]?.kind === 'value') return 'must start with a prompt name (a value is read after a prompt that introduces it)';
  for (let i = 1; i < out.length; i++) if (out[i]!.kind === 'value' && out[i - 1]!.kind === 'value') return 'two <groups> in a row cannot be told apart';
  return out;
}

/** Checks a sip step's own fields (its templates are checked by the caller) and normalizes it. */
export function normalizeSipStep(s: RawStep, sw: string, channel: RawChannel | undefined, index: number, problems: ConfigProblem[]): SipStep | null {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  const sip = s.sip;
  if (!sip) return null;
  if (s.assert?.status !== undefined) problem(`${sw}.assert.status`, 'a sip step has no HTTP status; a SIP failure status fails the dial step');
  if (s.assert?.json !== undefined) problem(`${sw}.assert.json`, 'a sip step hears prompts: name them in sip.expect');
  const actions = (['dial', 'press', 'hangup'] as const).filter((a) => sip[a] !== undefined);
  if (actions.length !== 1) {
    problem(`${sw}.sip`, `needs exactly one of dial, press, hangup${actions.length > 1 ? ` (got ${actions.join(', ')})` : ''}`);
    return null;
  }
  const action = actions[0] as 'dial' | 'press' | 'hangup';
  if (action === 'dial' && index !== 0) problem(`${sw}.sip.dial`, 'only the first step of a flow dials (one call per run)');
  if (action !== 'dial' && index === 0 && !s.always) problem(`${sw}.sip`, 'the first step of a sip flow must dial');
  if (action === 'hangup' && sip.expect !== undefined) problem(`${sw}.sip.expect`, 'nothing is heard after hanging up');
  if (sip.press !== undefined && !/^([0-9*#A-D]|\{\{[^}]+\}\})+$/.test(sip.press)) problem(`${sw}.sip.press`, 'keys are 0-9, *, #, A-D (and templates)');
  if (sip.amount !== undefined && (sip.press === undefined || !sip.press.includes(String(sip.amount)))) problem(`${sw}.sip.amount`, `${sip.amount} does not appear in sip.press: the amount checked must be the amount keyed`);
  let expect: PromptToken[] | null = null;
  if (sip.expect !== undefined) {
    const parsed = parsePromptPattern(sip.expect);
    if (typeof parsed === 'string') problem(`${sw}.sip.expect`, parsed);
    else {
      expect = parsed;
      const known = { ...DEFAULT_DIGIT_PROMPTS, ...(channel?.sip?.prompts ?? {}) };
      for (const t of parsed) if (t.kind === 'prompt' && !(t.name in known)) problem(`${sw}.sip.expect`, `unknown prompt "${t.name}" (channel prompts: ${Object.keys(known).join(', ') || 'none'})`);
      if (parsed.some((t) => t.kind === 'value')) {
        const missing = [...'0123456789'].filter((d) => !(d in known));
        if (missing.length > 0) problem(`${sw}.sip.expect`, `reads a value, so the channel needs digit prompts 0-9 (missing ${missing.join(', ')})`);
      }
    }
  }
  const groups = new Set((expect ?? []).flatMap((t) => (t.kind === 'value' ? [t.group] : [])));
  for (const [name, group] of Object.entries(s.extract ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problem(`${sw}.extract.${name}`, 'variable names are letters, digits and _');
    if (!groups.has(group)) problem(`${sw}.extract.${name}`, `sip.expect has no <${group}>${groups.size ? ` (it has ${[...groups].map((g) => `<${g}>`).join(', ')})` : ''}`);
  }
  return {
    name: s.name,
    always: s.always ?? false,
    sip: { action, keys: sip.press ?? null, expect, amount: sip.amount ?? null },
    extract: { ...(s.extract ?? {}) },
    assert: { businessCode: false, maxLatencyMs: s.assert?.maxLatencyMs ?? null },
  };
}
