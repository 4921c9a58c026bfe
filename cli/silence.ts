// `channel-health silence`: unplanned work. Creates, lists and expires Alertmanager silences over
// its v2 API, scoped like maintenance windows: channels, backends (their transactions) and
// transactions from the config, so a typo cannot silence the wrong thing or everything.
// Planned, recurring work belongs in `maintenance:` instead (docs/alerting.md).
import { parseArgs } from 'node:util';
import { AlertsError } from '../alerts/index.js';
import { ConfigError, loadConfigFile, parseDuration, type Config } from '../config/index.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { EXIT, UsageError, type CliIO, type CommandMain } from './command.js';

const USAGE = `Usage:
  channel-health silence --channel ID [--channel ID ...] [--backend ID ...] [--transaction ID ...]
                         --for DURATION --comment TEXT [--author NAME]
  channel-health silence --list
  channel-health silence --expire SILENCE_ID

Creates an Alertmanager silence for the alerts of the given channels, backends (every transaction
that uses one) and transactions, all of which must hold; lists the silences that are active or
pending; or expires one. Options:
  --config FILE         config (default ${DEFAULT_CONFIG_FILE}): ids and service.alertmanagerUrl
  --alertmanager URL    Alertmanager base URL (default service.alertmanagerUrl)
  --for DURATION        how long, e.g. 30m, 2h, 1d
  --comment TEXT        why (shown to whoever looks at the silence)
  --author NAME         who (default $USER)
`;

/** Bound on each call to Alertmanager: a CLI must not hang on an unreachable one. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface SilenceDeps {
  fetch: typeof fetch;
  now: () => number;
}

interface AmMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

interface AmSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** Matchers for a scope; every id must be known to the config. Exported for tests. */
export function silenceMatchers(config: Config, scope: { channels: string[]; backends: string[]; transactions: string[] }): AmMatcher[] {
  const known = (kind: string, ids: string[], of: readonly { id: string }[]) => {
    for (const id of ids) {
      if (!of.some((x) => x.id === id)) throw new UsageError(`--${kind} ${id}: unknown ${kind} (known: ${of.map((x) => x.id).join(', ')})`);
    }
  };
  known('channel', scope.channels, config.channels);
  known('backend', scope.backends, config.backends);
  known('transaction', scope.transactions, config.transactions);
  if (scope.channels.length + scope.backends.length + scope.transactions.length === 0) {
    throw new UsageError('give at least one --channel, --backend or --transaction: a silence of every alert would hide the next outage');
  }
  let transactions = scope.transactions;
  if (scope.backends.length > 0) {
    const ofBackends = config.transactions.filter((t) => t.backends.some((b) => scope.backends.includes(b))).map((t) => t.id);
    transactions = transactions.length > 0 ? transactions.filter((t) => ofBackends.includes(t)) : ofBackends;
    if (transactions.length === 0) throw new UsageError(`--transaction: none of ${scope.transactions.join(', ')} uses backend ${scope.backends.join(', ')}`);
  }
  const one = (name: string, values: string[]): AmMatcher =>
    values.length === 1 ? { name, value: values[0] as string, isRegex: false, isEqual: true } : { name, value: [...new Set(values)].sort().join('|'), isRegex: true, isEqual: true };
  return [...(scope.channels.length ? [one('channel', scope.channels)] : []), ...(transactions.length ? [one('transaction', transactions)] : [])];
}

const describeMatchers = (ms: AmMatcher[]) => ms.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`).join(', ');

async function call(deps: SilenceDeps, base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await deps.fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new AlertsError('CH_ALERTS_SILENCE_FAILED', url, `Alertmanager did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new AlertsError('CH_ALERTS_SILENCE_FAILED', url, `Alertmanager answered ${res.status}: ${text.trim().slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

export async function silence(args: string[], io: CliIO, deps: SilenceDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      alertmanager: { type: 'string' },
      channel: { type: 'string', multiple: true },
      backend: { type: 'string', multiple: true },
      transaction: { type: 'string', multiple: true },
      for: { type: 'string' },
      comment: { type: 'string' },
      author: { type: 'string' },
      list: { type: 'boolean' },
      expire: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const modes = [values.list, values.expire !== undefined, values.channel || values.backend || values.transaction || values.for || values.comment].filter(Boolean).length;
  if (modes !== 1) throw new UsageError(`choose one of: a new silence (--channel/--backend/--transaction, --for, --comment), --list, or --expire ID\n\n${USAGE}`);

  let config: Config;
  try {
    config = await loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
  const base = values.alertmanager ?? config.service.alertmanagerUrl;
  if (base === null) throw new UsageError('no Alertmanager: give --alertmanager URL or set service.alertmanagerUrl in the config');
  if (!/^https?:\/\/[^/]/.test(base)) throw new UsageError(`--alertmanager ${base}: must be an http(s) URL`);

  try {
    if (values.list) {
      const all = (await call(deps, base, 'GET', '/api/v2/silences')) as AmSilence[];
      const live = all.filter((s) => s.status.state !== 'expired').sort((a, b) => a.endsAt.localeCompare(b.endsAt));
      if (live.length === 0) io.stdout.write('no active or pending silences\n');
      for (const s of live) io.stdout.write(`${s.id}  ${s.status.state}  until ${s.endsAt}  ${describeMatchers(s.matchers)}  by ${s.createdBy}: ${s.comment}\n`);
      return EXIT.ok;
    }
    if (values.expire !== undefined) {
      if (!/^[0-9a-f-]{36}$/.test(values.expire)) throw new UsageError(`--expire ${values.expire}: not a silence id (as printed by --list)`);
      await call(deps, base, 'DELETE', `/api/v2/silence/${values.expire}`);
      io.stdout.write(`expired silence ${values.expire}\n`);
      return EXIT.ok;
    }
    if (values.for === undefined) throw new UsageError('--for is required, e.g. --for 2h');
    if (!values.comment?.trim()) throw new UsageError('--comment is required: say why, for whoever is paged next');
    let forMs: number;
    try {
      forMs = parseDuration(values.for);
    } catch {
      throw new UsageError(`--for ${values.for}: not a duration like 30m, 2h or 1d`);
    }
    if (forMs < 60_000) throw new UsageError(`--for ${values.for}: at least 1m`);
    const matchers = silenceMatchers(config, { channels: values.channel ?? [], backends: values.backend ?? [], transactions: values.transaction ?? [] });
    const startsAt = new Date(deps.now());
    const endsAt = new Date(startsAt.getTime() + forMs);
    const created = (await call(deps, base, 'POST', '/api/v2/silences', {
      matchers,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      createdBy: values.author ?? io.env.USER ?? 'channel-health',
      comment: values.comment.trim(),
    })) as { silenceID: string };
    io.stdout.write(`${created.silenceID}\nsilenced ${describeMatchers(matchers)} until ${endsAt.toISOString()}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof AlertsError) {
      io.stderr.write(`channel-health silence: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

export const main: CommandMain = (args, io) => silence(args, io, { fetch, now: Date.now });
