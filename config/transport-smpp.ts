// The smpp transport's slice of the config (as blackbox's config.go gives each prober module its
// own settings): a channel's ESME bind, and a step's command text and expected reply. Checked
// here, before anything runs, and normalized with the defaults.
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';
import type { RawConfig, RawStep } from './schema.js';
import type { SmppChannelSettings, SmsStep } from './types.js';

type RawChannel = RawConfig['channels'][string];

/** Stand-in for {{sandbox.smppUrl}} while validating; the real port is known once the SMSC listens. */
export const SANDBOX_SMPP_URL_PLACEHOLDER = 'smpp://127.0.0.1:2775';

/** `smpp://HOST:PORT` as the prober connects to it, or null. */
export function parseSmppUrl(text: string): { host: string; port: number } | null {
  const m = /^smpp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})\/?$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function normalizeSmppChannel(c: RawChannel, where: string, renderedBaseUrl: string | null, problems: ConfigProblem[]): SmppChannelSettings | null {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  if (c.transport !== 'smpp') {
    if (c.smpp) problem(`${where}.smpp`, `only applies to transport smpp (transport is ${c.transport})`);
    return null;
  }
  if (renderedBaseUrl !== null && !parseSmppUrl(renderedBaseUrl)) problem(`${where}.baseUrl`, `must be smpp://HOST:PORT for transport smpp (got "${renderedBaseUrl}")`);
  if (c.businessCode) {
    if (c.businessCode.path !== undefined) problem(`${where}.businessCode.path`, 'an smpp channel reads its codes from the reply text: use businessCode.reply');
    if (c.businessCode.reply === undefined) problem(`${where}.businessCode`, 'needs reply, a regular expression with a named group code, on an smpp channel');
    else checkRegex(c.businessCode.reply, `${where}.businessCode.reply`, problems, ['code']);
  }
  if (!c.smpp) {
    problem(where, 'transport smpp needs an smpp section (systemId, password, serviceNumber)');
    return null;
  }
  const d = CONFIG_DEFAULTS.smpp;
  return {
    systemId: c.smpp.systemId,
    password: c.smpp.password,
    systemType: c.smpp.systemType ?? d.systemType,
    serviceNumber: c.smpp.serviceNumber,
    addressTon: c.smpp.addressTon ?? d.addressTon,
    addressNpi: c.smpp.addressNpi ?? d.addressNpi,
    enquireLinkMs: parseDuration(c.smpp.enquireLink ?? d.enquireLink),
    window: c.smpp.window ?? d.window,
    rebindMaxMs: parseDuration(c.smpp.rebindMax ?? d.rebindMax),
  };
}

/**
 * Checks an sms step's own fields (its templates are checked by the caller) and normalizes it.
 * `extract` names named groups of `sms.reply`.
 */
export function normalizeSmsStep(s: RawStep, sw: string, channel: RawChannel | undefined, problems: ConfigProblem[]): SmsStep | null {
  const problem = (p: string, message: string) => problems.push({ path: p, message });
  const sms = s.sms;
  if (!sms) return null;
  if (s.assert?.status !== undefined) problem(`${sw}.assert.status`, 'an sms step has no HTTP status; a non-zero command_status fails it');
  if (s.assert?.json !== undefined) problem(`${sw}.assert.json`, 'an sms reply is text: match it with sms.reply');
  const groups = checkRegex(sms.reply, `${sw}.sms.reply`, problems, []);
  for (const [name, group] of Object.entries(s.extract ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problem(`${sw}.extract.${name}`, 'variable names are letters, digits and _');
    if (groups !== null && !groups.includes(group)) problem(`${sw}.extract.${name}`, `sms.reply has no named group "${group}"${groups.length ? ` (it has ${groups.join(', ')})` : ''}`);
  }
  if (sms.amount !== undefined && !new RegExp(`(^|[^0-9.])${String(sms.amount).replace('.', '\\.')}([^0-9.]|$)`).test(sms.text)) {
    problem(`${sw}.sms.amount`, `${sms.amount} does not appear in sms.text: the amount checked must be the amount sent`);
  }
  return {
    name: s.name,
    always: s.always ?? false,
    sms: { text: sms.text, amount: sms.amount ?? null, reply: sms.reply },
    extract: { ...(s.extract ?? {}) },
    assert: { businessCode: s.assert?.businessCode ?? channel?.businessCode !== undefined, maxLatencyMs: s.assert?.maxLatencyMs ?? null },
  };
}

/** Compiles a regex; returns its named groups, or null (and a problem) when it does not compile. */
function checkRegex(source: string, where: string, problems: ConfigProblem[], required: readonly string[]): string[] | null {
  let groups: string[];
  try {
    new RegExp(source);
    groups = [...source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1] as string);
  } catch (err) {
    problems.push({ path: where, message: `not a valid regular expression: ${(err as Error).message}` });
    return null;
  }
  for (const name of required) if (!groups.includes(name)) problems.push({ path: where, message: `needs a named group ${name}, e.g. (?<${name}>[0-9]{4})` });
  return groups;
}
