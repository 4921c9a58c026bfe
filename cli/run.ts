// `channel-health run`: scheduler, probes and collector in one process; with the shipped config
// also the sandbox, so a new user sees live metrics at once. Everything is composed here and
// passed down as parameters; no part reaches for a global.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildCollectorApp } from '../collector/app.js';
import { createMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { ingestPlugin } from '../collector/ingest.js';
import { createResultSink } from '../collector/result-sink.js';
import { loadConfigFile, parseListen, type Config } from '../config/index.js';
import { openProbeSafety } from '../journal/probe-safety.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { sandboxPlugin } from '../sandbox/app.js';
import { startSandboxHttps, type SandboxHttps } from '../sandbox/https-listener.js';
import { startSandboxIvr, type SandboxIvr } from '../sandbox/ivr.js';
import { startSandboxSmsc, type SandboxSmsc } from '../sandbox/smsc.js';
import { createSandboxState } from '../sandbox/state.js';
import type { NotificationLog } from '../status/notification-log.js';
import { statusPlugin } from '../status/plugin.js';
import { SyntheticError } from '../synthetic/errors.js';
import type { Scheduler } from '../synthetic/scheduler.js';
import { commandLogger, EXIT, LOG_FORMAT_HELP, LOG_FORMAT_OPTION, startupFailure, untilSignal, UsageError, type CliIO, type CommandMain } from './command.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { eventIngestForRun } from './collector.js';
import { prepareProbes, startProbeEngine } from './probe-engine.js';
import { scheduledReports } from './scheduled-report.js';
import { HTTPS_HELP, HTTPS_OPTIONS, httpsListen, type HttpsListen } from './https-flags.js';
import { VERSION } from './version.js';

const HELP = `Usage: channel-health run [--config FILE] [--listen HOST:PORT]
       [--https-listen HOST:PORT --tls-cert FILE --tls-key FILE] [--log-format pretty|json]

Loads the config (default ${DEFAULT_CONFIG_FILE}), starts the embedded sandbox when the config
asks for it, the probe scheduler and the collector (/metrics, /healthz, /readyz, /api/v1/...).
Money-moving runs are journaled; unfinished ones are compensated before probing starts
(docs/safety.md). Exit 1 when the journal cannot be opened or another process holds it.
Stops cleanly on SIGTERM or SIGINT: no new runs, in-flight probes finish (bounded by their
timeout), the server closes, exit 0. Exit 2 on a bad config or flag; nothing starts.
The status page is at / (docs/status.md).
With the embedded sandbox, ${HTTPS_HELP}
${LOG_FORMAT_HELP}
`;

export interface RunningService {
  url: string;
  config: Config;
  /** The listening app, for tests that compare what it serves with what it documents. */
  app: FastifyInstance;
  stop(): Promise<void>;
}

export const main: CommandMain = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' }, ...HTTPS_OPTIONS, help: { type: 'boolean', short: 'h' }, ...LOG_FORMAT_OPTION },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const logger = commandLogger(values['log-format'], io);
  let service: RunningService;
  try {
    service = await startService({ configFile: values.config ?? DEFAULT_CONFIG_FILE, listen: values.listen, https: httpsListen(values), io, logger });
  } catch (err) {
    return startupFailure(err, 'run', io);
  }
  await untilSignal('run', io);
  await service.stop();
  return EXIT.ok;
};

export async function startService(options: {
  configFile: string;
  listen?: string | undefined;
  /** Also serve the embedded sandbox over TLS (--https-listen); needs service.sandbox. */
  https?: HttpsListen | null;
  io: CliIO;
  logger?: Logger;
  /** The demo's webhook receiver: notifications posted to /api/v1/alert-notifications are kept here and shown on the status page. */
  notifications?: NotificationLog;
}): Promise<RunningService> {
  const config = await loadConfigFile(options.configFile);
  if (options.https && !config.service.sandbox) throw new UsageError('--https-listen serves the embedded sandbox, and this config does not embed one (service.sandbox: false)');
  let listen = config.service.listen;
  if (options.listen !== undefined) {
    const parsed = parseListen(options.listen);
    if (!parsed) throw new UsageError(`--listen: "${options.listen}" must be HOST:PORT with a port from 0 to 65535`);
    listen = parsed;
  }
  const log = options.logger ?? createLogger();
  // Every secret is read before anything starts: a missing one stops the start, not the 3 a.m. probe.
  const setup = prepareProbes(config, options.io.env, log);
  const adminToken = config.service.adminToken ? setup.readSecret(config.service.adminToken, 'service.adminToken') : null;

  // The journal is opened (and a second process refused) before anything listens.
  const safety = openProbeSafety(config, log);
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: VERSION });
  const store = new ResultStore(config.service.resultsRetained);
  const sink = createResultSink(config, metrics, store);
  let scheduler: Scheduler | null = null;
  const journal = safety.journal;
  if (journal) metrics.observeJournal(() => journal.counts());
  const checkById = new Map(config.checks.map((c) => [c.id, c]));
  metrics.observeBreakers(() =>
    safety.breakers.views().map((b) => ({
      channel: checkById.get(b.checkId)?.channel ?? '',
      transaction: checkById.get(b.checkId)?.transaction ?? '',
      location: config.service.location,
      open: b.state !== 'closed',
    })),
  );

  const app = buildCollectorApp({
    config,
    metrics,
    store,
    log,
    version: VERSION,
    adminToken,
    runs: {
      runNow: (id) => (scheduler ? scheduler.runNow(id) : Promise.reject(new SyntheticError('CH_SCHEDULER_STOPPED', 'the scheduler has not started yet'))),
      runState: (id) => scheduler?.runState(id),
    },
    notReadyReasons: () => (scheduler?.isRunning ? [] : ['scheduler not running']),
    ...(journal ? { journal } : {}),
  });
  await app.register(statusPlugin, {
    config,
    store,
    openBreakers: () => new Set(safety.breakers.views().filter((b) => b.state !== 'closed').map((b) => b.checkId)),
    ...(options.notifications ? { notifications: options.notifications } : {}),
  });
  let smsc: SandboxSmsc | null = null;
  let ivr: SandboxIvr | null = null;
  if (config.service.sandbox) {
    // One sandbox state behind both the HTTP channel APIs and the SMSC: same subscribers, same faults.
    const state = createSandboxState({ config, accounts: setup.sandboxAccounts });
    // The fault routes are marked admin-only; the collector app's hook checks the token on them.
    await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: setup.sandboxAccounts, state });
    const loopback = listen.host === '::1' ? '::1' : '127.0.0.1';
    if (setup.smscAccounts.length > 0) smsc = await startSandboxSmsc({ state, config, accounts: setup.smscAccounts, log: log.child({ component: 'sandbox-smsc' }) }, loopback);
    if (setup.ivrLines.length > 0) ivr = await startSandboxIvr({ state, lines: setup.ivrLines, log: log.child({ component: 'sandbox-ivr' }) }, loopback);
  }
  await app.register(ingestPlugin, eventIngestForRun({ config, registry, metrics, sink, log, readSecret: setup.readSecret }));
  const reports = await scheduledReports({ config, app, registry, log });
  try {
    // Started before listening, so the first scrape already reads the folder's newest report.
    await reports.start();
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await reports.stop();
    await smsc?.close();
    await ivr?.close();
    await safety.stop();
    throw err;
  }
  let sandboxTls: SandboxHttps | null = null;
  if (options.https) {
    try {
      sandboxTls = await startSandboxHttps(app, options.https);
    } catch (err) {
      await reports.stop();
      await smsc?.close();
      await ivr?.close();
      await safety.stop();
      await app.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw err;
      // A key that does not match the certificate, or one OpenSSL cannot use.
      throw new UsageError(`--tls-cert/--tls-key: ${(err as Error).message}`);
    }
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}`;

  const engine = await startProbeEngine({
    config,
    setup,
    sandboxUrl: config.service.sandbox ? `${url}/sandbox` : null,
    sandboxSmppUrl: smsc?.url ?? null,
    sandboxSipUrl: ivr?.url ?? null,
    registry,
    log,
    safety,
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
  scheduler = engine.scheduler;
  log.info({ url, ...(sandboxTls ? { sandboxHttps: sandboxTls.url } : {}), ...(smsc ? { smsc: smsc.url } : {}), ...(ivr ? { ivr: ivr.url } : {}), config: config.source, checks: config.checks.length, sandbox: config.service.sandbox, location: config.service.location }, 'listening');

  let stopped = false;
  return {
    url,
    config,
    app,
    async stop() {
      if (stopped) return;
      stopped = true;
      await reports.stop();
      await engine.stop();
      await safety.stop();
      await sandboxTls?.close();
      await smsc?.close();
      await ivr?.close();
      await app.close();
      log.info('stopped');
    },
  };
}
