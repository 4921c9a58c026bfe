// `channel-health run`: scheduler, probes and collector in one process; with the shipped config
// also the sandbox, so a new user sees live metrics at once. Everything is composed here and
// passed down as parameters; no part reaches for a global.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { buildCollectorApp } from '../collector/app.js';
import { createMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { createResultSink } from '../collector/result-sink.js';
import { ConfigError, loadConfigFile, parseListen, secretReader, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { sandboxPlugin } from '../sandbox/app.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import { PROBERS } from '../synthetic/probers/index.js';
import { ChannelRateLimiter } from '../synthetic/rate-limit.js';
import { createRunner } from '../synthetic/runner.js';
import { Scheduler } from '../synthetic/scheduler.js';
import { EXIT, UsageError, type CliIO, type CommandMain } from './command.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { VERSION } from './version.js';

const HELP = `Usage: channel-health run [--config FILE] [--listen HOST:PORT]

Loads the config (default ${DEFAULT_CONFIG_FILE}), starts the embedded sandbox when the config
asks for it, the probe scheduler and the collector (/metrics, /healthz, /readyz, /api/v1/...).
Stops cleanly on SIGTERM or SIGINT: no new runs, in-flight probes finish (bounded by their
timeout), the server closes, exit 0. Exit 2 on a bad config or flag; nothing starts.
`;

export interface RunningService {
  url: string;
  config: Config;
  stop(): Promise<void>;
}

export const main: CommandMain = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  let service: RunningService;
  try {
    service = await startService({ configFile: values.config ?? DEFAULT_CONFIG_FILE, listen: values.listen, io });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EACCES') {
      io.stderr.write(`channel-health run: cannot listen: ${(err as Error).message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      io.stderr.write(`channel-health: ${signal} received, stopping\n`);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.stop();
  return EXIT.ok;
};

export async function startService(options: { configFile: string; listen?: string | undefined; io: CliIO; logger?: Logger }): Promise<RunningService> {
  const config = await loadConfigFile(options.configFile);
  let listen = config.service.listen;
  if (options.listen !== undefined) {
    const parsed = parseListen(options.listen);
    if (!parsed) throw new UsageError(`--listen: "${options.listen}" must be HOST:PORT with a port from 0 to 65535`);
    listen = parsed;
  }
  const log = options.logger ?? createLogger();
  const env = sandboxEnvironment(config, options.io.env, log);
  const readSecret = secretReader(config.baseDir, env);

  // Read every secret before anything starts: a missing one stops the start, not the 3 a.m. probe.
  const adminToken = config.service.adminToken ? readSecret(config.service.adminToken, 'service.adminToken') : null;
  const accountPools = new Map<string, TestAccountPool>();
  const resolvedAccounts: Array<{ msisdn: string; pin: string }> = [];
  for (const [pool, accounts] of Object.entries(config.accounts)) {
    const resolved = accounts.map((a, i) => ({ msisdn: a.msisdn, pin: a.pin ? readSecret(a.pin, `accounts.${pool}[${i}].pin`) : '' }));
    accountPools.set(pool, new TestAccountPool(pool, resolved));
    resolvedAccounts.push(...resolved);
  }

  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: VERSION });
  const store = new ResultStore(config.service.resultsRetained);
  const sink = createResultSink(config, metrics, store);
  let scheduler: Scheduler | null = null;

  const app = buildCollectorApp({
    config,
    metrics,
    store,
    log,
    adminToken,
    runs: {
      runNow: (id) => (scheduler ? scheduler.runNow(id) : Promise.reject(Object.assign(new Error('not started'), { code: 'CH_SCHEDULER_STOPPED' }))),
      runState: (id) => scheduler?.runState(id),
    },
    notReadyReasons: () => (scheduler?.isRunning ? [] : ['scheduler not running']),
  });
  if (config.service.sandbox) {
    const unique = [...new Map(resolvedAccounts.map((a) => [a.msisdn, a])).values()];
    await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: unique });
  }
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}`;

  const rateLimiters = new Map<string, ChannelRateLimiter>();
  for (const channel of config.channels) if (channel.rateLimitPerSecond !== null) rateLimiters.set(channel.id, new ChannelRateLimiter(channel.rateLimitPerSecond));
  const runner = createRunner({
    config,
    probers: PROBERS,
    accountPools,
    rateLimiters,
    sandboxUrl: config.service.sandbox ? `${url}/sandbox` : null,
    location: config.service.location,
  });
  scheduler = new Scheduler({
    checks: config.checks,
    runner,
    concurrency: config.service.concurrency,
    log,
    onResult: (result) => {
      try {
        sink.accept(result);
      } catch (err) {
        // In-process results carry config labels, so this is a bug; report it rather than lose it silently.
        log.error({ err, check: result.checkId }, 'result rejected by the collector');
      }
      if (!result.ok) log.info({ check: result.checkId, reason: result.reason, step: result.failedStep, detail: result.detail }, 'probe failed');
    },
  });
  scheduler.start();
  log.info({ url, config: config.source, checks: config.checks.length, sandbox: config.service.sandbox, location: config.service.location }, 'listening');

  let stopped = false;
  return {
    url,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await scheduler?.stop();
      await app.close();
      log.info('stopped');
    },
  };
}

/**
 * With the sandbox embedded, the test accounts' PIN has no real owner: when the variable the
 * config names is unset, make a random one for this process instead of asking for a secret.
 */
function sandboxEnvironment(config: Config, env: NodeJS.ProcessEnv, log: Logger): NodeJS.ProcessEnv {
  if (!config.service.sandbox) return env;
  const out = { ...env };
  for (const accounts of Object.values(config.accounts)) {
    for (const account of accounts) {
      if (account.pin && 'env' in account.pin && !out[account.pin.env]) {
        out[account.pin.env] = randomBytes(12).toString('base64url');
        log.info({ variable: account.pin.env }, 'sandbox embedded and the PIN variable is unset: using a random PIN for this process');
      }
    }
  }
  return out;
}
