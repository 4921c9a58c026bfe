// `channel-health sandbox`: the simulated operator back end alone, for trying flows and faults
// by hand or for pointing a separately run `channel-health run` at it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, parseListen, readSmppPassword, secretReader, type Config } from '../config/index.js';

import { buildSandboxApp, SANDBOX_PREFIX } from '../sandbox/app.js';
import { SandboxError } from '../sandbox/errors.js';
import { startSandboxIvr, type IvrLine, type SandboxIvr } from '../sandbox/ivr.js';
import { startSandboxSmsc, type SandboxSmsc } from '../sandbox/smsc.js';
import { createSandboxState } from '../sandbox/state.js';
import { startSandboxHttps, type SandboxHttps } from '../sandbox/https-listener.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { HTTPS_HELP, HTTPS_OPTIONS, httpsListen } from './https-flags.js';
import { sipLines } from './probe-engine.js';
import { commandLogger, EXIT, LOG_FORMAT_HELP, LOG_FORMAT_OPTION, UsageError, type CliIO, type CommandMain } from './command.js';

export const DEFAULT_SANDBOX_LISTEN = '127.0.0.1:9471';

const HELP = `Usage: channel-health sandbox [--config FILE] [--listen HOST:PORT] [--smpp-listen HOST:PORT] [--sip-listen HOST:PORT]
       [--https-listen HOST:PORT --tls-cert FILE --tls-key FILE] [--log-format pretty|json]

Serves the simulated operator back end alone under /sandbox/ (default ${DEFAULT_SANDBOX_LISTEN}),
with the channels, transactions, backends and test accounts of FILE (default ${DEFAULT_CONFIG_FILE}).
Test-account PINs are read from their secret references; when a referenced environment variable
is unset, a random PIN is made for this process and written to a private file (path printed).
When the config has smpp channels, the sandbox SMSC also listens (--smpp-listen, by default the
--listen host on a free port; its smpp:// URL is printed), with the same subscribers and faults;
an unset bind password variable gets a random password the same way as a PIN. When it has sip
channels, the sandbox IVR also listens on UDP (--sip-listen, by default the --listen host on a
free port; its sip: URL is printed) and answers their numbers with the hotline menu
(docs/sandbox.md, "The IVR"); an unset trunk password variable gets a random one likewise.
${HTTPS_HELP}
Stops on SIGINT or SIGTERM. Exit 2 on a bad config or flag. API: docs/sandbox.md.
${LOG_FORMAT_HELP}
`;

export const main: CommandMain = async (args, io) => {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    io.stderr.write(`channel-health sandbox: ${signal} received, stopping\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runSandbox(args, io, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};

/** The command with its stop signal passed in, so tests can run and stop it in-process. */
export async function runSandbox(args: string[], io: CliIO, stopSignal: AbortSignal, onListening?: (url: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' }, 'smpp-listen': { type: 'string' }, 'sip-listen': { type: 'string' }, ...HTTPS_OPTIONS, help: { type: 'boolean', short: 'h' }, ...LOG_FORMAT_OPTION },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const listenText = values.listen ?? DEFAULT_SANDBOX_LISTEN;
  const listen = parseListen(listenText);
  if (!listen) throw new UsageError(`--listen: "${listenText}" must be HOST:PORT with a port from 0 to 65535`);
  const smppListen = values['smpp-listen'] === undefined ? { host: listen.host, port: 0 } : parseListen(values['smpp-listen']);
  if (!smppListen) throw new UsageError(`--smpp-listen: "${values['smpp-listen']}" must be HOST:PORT with a port from 0 to 65535`);
  const sipListen = values['sip-listen'] === undefined ? { host: listen.host, port: 0 } : parseListen(values['sip-listen']);
  if (!sipListen) throw new UsageError(`--sip-listen: "${values['sip-listen']}" must be HOST:PORT with a port from 0 to 65535`);
  const https = httpsListen(values);

  let config: Config;
  let pins: ResolvedPins;
  try {
    config = await loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
    pins = resolvePins(config, io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }

  const log = commandLogger(values['log-format'], io, true).child({ component: 'sandbox' });
  let pinDir: string | null = null;
  if (pins.generated.size > 0) {
    pinDir = await mkdtemp(path.join(tmpdir(), 'channel-health-sandbox-'));
    for (const [variable, pin] of pins.generated) {
      const file = path.join(pinDir, variable);
      await writeFile(file, `${pin}\n`, { mode: 0o600, flag: 'wx' });
      // The PIN itself never reaches a terminal or a log: only where to read it.
      io.stderr.write(`channel-health sandbox: ${variable} is not set; using a random ${pins.passwordVariables.has(variable) ? 'password' : 'PIN'} for this process, readable in ${file} (mode 0600, removed on exit)\n`);
    }
  }
  const removePins = async () => {
    if (pinDir) await rm(pinDir, { recursive: true, force: true });
  };

  let app: ReturnType<typeof buildSandboxApp> | undefined;
  let smsc: SandboxSmsc | null = null;
  let ivr: SandboxIvr | null = null;
  const closeAll = async () => {
    await smsc?.close();
    await ivr?.close();
    await app?.close();
    await removePins();
  };
  /** A listen that failed for a reason a person can fix (taken, not allowed, no such address): exit 1 naming where. */
  const cannotListen = (err: unknown, where: string): number | null => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return null;
    io.stderr.write(`channel-health sandbox: cannot listen on ${where}: ${(err as Error).message}\n`);
    return EXIT.failed;
  };
  let where = listenText;
  try {
    // One state behind the HTTP channel APIs and the SMSC: same subscribers, same faults.
    const state = createSandboxState({ config, accounts: pins.accounts });
    app = buildSandboxApp({ config, accounts: pins.accounts, logger: log, state });
    await app.ready();
    where = values['smpp-listen'] ?? `${smppListen.host}:${smppListen.port}`;
    if (pins.smscAccounts.length > 0) smsc = await startSandboxSmsc({ state, config, accounts: pins.smscAccounts, log }, smppListen.host, smppListen.port);
    where = values['sip-listen'] ?? `${sipListen.host}:${sipListen.port}`;
    if (pins.ivrLines.length > 0) ivr = await startSandboxIvr({ state, lines: pins.ivrLines, log: log.child({ component: 'sandbox-ivr' }) }, sipListen.host, sipListen.port);
    where = listenText;
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await closeAll();
    if (err instanceof SandboxError) {
      io.stderr.write(`${err.code}: ${values.config ?? DEFAULT_CONFIG_FILE}: ${err.message}\n`);
      return err.exitCode;
    }
    const exit = cannotListen(err, where);
    if (exit !== null) return exit;
    throw err;
  }
  let tls: SandboxHttps | null = null;
  if (https) {
    try {
      tls = await startSandboxHttps(app, https);
    } catch (err) {
      await closeAll();
      const exit = cannotListen(err, values['https-listen'] ?? 'the --https-listen address');
      if (exit !== null) return exit;
      // A key that does not match the certificate, or one OpenSSL cannot use.
      io.stderr.write(`channel-health sandbox: --tls-cert/--tls-key: ${(err as Error).message}\n`);
      return EXIT.badInput;
    }
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const url = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}${SANDBOX_PREFIX}`;
  io.stderr.write(`channel-health sandbox: serving ${url} (channels: ${config.channels.map((c) => c.id).join(', ')}; ${new Set(pins.accounts.map((a) => a.msisdn)).size} test accounts)\n`);
  if (smsc) io.stderr.write(`channel-health sandbox: SMSC at ${smsc.url} (smpp channels: ${pins.smscAccounts.map((a) => a.channel).join(', ')})\n`);
  if (ivr) io.stderr.write(`channel-health sandbox: IVR at ${ivr.url} (sip channels: ${pins.ivrLines.map((l) => `${l.channel} ${l.number}`).join(', ')})\n`);
  if (tls) io.stderr.write(`channel-health sandbox: also serving ${tls.url} over TLS\n`);
  onListening?.(url);

  if (!stopSignal.aborted) await new Promise((resolve) => stopSignal.addEventListener('abort', resolve, { once: true }));
  await tls?.close();
  await smsc?.close();
  await ivr?.close();
  await app.close();
  await removePins();
  return EXIT.ok;
}

interface ResolvedPins {
  /** Every configured account, pool by pool (a number may repeat). */
  accounts: Array<{ msisdn: string; pin: string }>;
  /** PINs (and SMPP passwords) made up for unset environment variables, by variable name. */
  generated: Map<string, string>;
  /** Each smpp channel's bind credentials, password resolved. */
  smscAccounts: Array<{ channel: string; systemId: string; password: string }>;
  /** Variables among `generated` that hold an SMPP or SIP password, for the message. */
  passwordVariables: Set<string>;
  /** Each sip channel's number and trunk credentials, password resolved. */
  ivrLines: IvrLine[];
}

/** Every test account once, with its PIN read now (so a missing secret file stops the start). */
function resolvePins(config: Config, env: NodeJS.ProcessEnv): ResolvedPins {
  const generated = new Map<string, string>();
  const withGenerated: NodeJS.ProcessEnv = { ...env };
  for (const accounts of Object.values(config.accounts)) {
    for (const account of accounts) {
      const ref = account.pin;
      if (ref && 'env' in ref && !withGenerated[ref.env]) {
        const pin = randomBytes(9).toString('base64url');
        generated.set(ref.env, pin);
        withGenerated[ref.env] = pin;
      }
    }
  }
  const passwordVariables = new Set<string>();
  for (const channel of config.channels) {
    const ref = channel.smpp?.password;
    if (ref && 'env' in ref && !withGenerated[ref.env]) {
      // 8 characters: the most an SMPP bind password carries.
      const password = randomBytes(6).toString('base64url');
      generated.set(ref.env, password);
      withGenerated[ref.env] = password;
      passwordVariables.add(ref.env);
    }
    const sipRef = channel.sip?.credentials?.password;
    if (sipRef && 'env' in sipRef && !withGenerated[sipRef.env]) {
      const password = randomBytes(12).toString('base64url');
      generated.set(sipRef.env, password);
      withGenerated[sipRef.env] = password;
      passwordVariables.add(sipRef.env);
    }
  }
  const read = secretReader(config.baseDir, withGenerated);
  // A number in two pools is one subscriber; the sandbox refuses it if the two PINs differ.
  const resolved = Object.entries(config.accounts).flatMap(([pool, accounts]) =>
    accounts.map((account, i) => ({ msisdn: account.msisdn, pin: account.pin ? read(account.pin, `accounts.${pool}[${i}].pin`) : '' })),
  );
  const smscAccounts = config.channels.flatMap((c) => (c.smpp ? [{ channel: c.id, systemId: c.smpp.systemId, password: readSmppPassword(read, { id: c.id, smpp: c.smpp }, config.source) }] : []));
  const ivrLines = sipLines(config, read);
  return { accounts: resolved, generated, smscAccounts, passwordVariables, ivrLines };
}
