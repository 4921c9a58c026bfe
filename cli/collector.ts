// `channel-health collector`: no probes; takes results pushed by agents and real events from the
// channel systems, and serves /metrics and the API. Its counters are durable: what it accepted
// is committed to its state folder before it answers, and put back at start.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildCollectorApp } from '../collector/app.js';
import { INGEST_REFUSAL_CODES } from '../collector/ingest-door.js';
import { memoryLedger, openDurableLedger, type IngestLedger } from '../collector/ingest-ledger.js';
import { ingestPlugin, restoreIngested, type IngestPluginOptions } from '../collector/ingest.js';
import { createIngestMetrics, createMetrics, durationBuckets, type ChannelHealthMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { createResultSink, type ResultSink } from '../collector/result-sink.js';
import { ConfigError, loadConfigFile, parseListen, secretReader, type Config, type SecretReader } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { statusPlugin } from '../status/plugin.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { commandLogger, EXIT, LOG_FORMAT_HELP, LOG_FORMAT_OPTION, startupFailure, untilSignal, UsageError, type CommandMain } from './command.js';
import { scheduledReports, type ScheduledReports } from './scheduled-report.js';
import { VERSION } from './version.js';

const HELP = `Usage: channel-health collector [--config FILE] [--listen HOST:PORT] [--state DIR] [--log-format pretty|json]

Runs no probes. Takes ProbeResult batches from agents (POST /api/v1/results) and real events
from channel systems (POST /api/v1/events), both with the bearer token of ingest.token, and
serves /metrics, /healthz, /readyz and the API. Accepted ids and counter values are kept in
--state (default ingest.stateDir) and restored at start, so a restart, even a SIGKILL, neither
loses nor double-counts a result. Exit 2 on a bad config or flag; nothing starts.
Guide: docs/agents.md, docs/events.md. The status page is at / (docs/status.md).
${LOG_FORMAT_HELP}
`;

export const main: CommandMain = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...LOG_FORMAT_OPTION,
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  let collector: RunningCollector;
  try {
    collector = await startCollector({ configFile: values.config ?? DEFAULT_CONFIG_FILE, listen: values.listen, stateDir: values.state, env: io.env, logger: commandLogger(values['log-format'], io) });
  } catch (err) {
    if (err instanceof StateError) {
      io.stderr.write(`channel-health collector: ${err.message}\n`);
      return EXIT.failed;
    }
    return startupFailure(err, 'collector', io);
  }
  await untilSignal('collector', io);
  await collector.stop();
  return EXIT.ok;
};


class StateError extends Error {}

export interface RunningCollector {
  url: string;
  stop(): Promise<void>;
}

export async function startCollector(options: { configFile: string; listen?: string | undefined; stateDir?: string | undefined; env: NodeJS.ProcessEnv; logger?: Logger }): Promise<RunningCollector> {
  const config = await loadConfigFile(options.configFile);
  let listen = config.service.listen;
  if (options.listen !== undefined) {
    const parsed = parseListen(options.listen);
    if (!parsed) throw new UsageError(`--listen: "${options.listen}" must be HOST:PORT with a port from 0 to 65535`);
    listen = parsed;
  }
  if (options.stateDir !== undefined && options.stateDir.trim() === '') throw new UsageError('--state: must name a folder');
  if (config.ingest.token === null) {
    throw new ConfigError('CH_CONFIG_INVALID', config.source, [{ path: 'ingest.token', message: 'channel-health collector needs a bearer token for ingest: a secret reference such as { env: CH_INGEST_TOKEN }' }]);
  }
  const readSecret = secretReader(config.baseDir, options.env);
  const token = readSecret(config.ingest.token, 'ingest.token');
  const adminToken = config.service.adminToken ? readSecret(config.service.adminToken, 'service.adminToken') : null;
  const log = options.logger ?? createLogger();

  const stateDir = options.stateDir ?? config.ingest.stateDir;
  let ledger: IngestLedger;
  try {
    ledger = openDurableLedger(stateDir, { buckets: durationBuckets(config), dedupeWindowMs: config.ingest.dedupeWindowMs });
  } catch (err) {
    throw new StateError(`cannot open the state in ${stateDir}: ${(err as Error).message}`);
  }
  let app: FastifyInstance;
  let reports: ScheduledReports | null = null;
  try {
    let registry: Registry;
    ({ app, registry } = await buildCollector({ config, ledger, token, adminToken, log }));
    const scheduled = await scheduledReports({ config, app, registry, log });
    reports = scheduled;
    // Started before listening, so the first scrape already reads the folder's newest report.
    await scheduled.start();
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await reports?.stop();
    ledger.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const url = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
  log.info({ url, config: config.source, state: stateDir, locations: config.ingest.allowedLocations }, 'collector listening');
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await reports?.stop();
      await app.close();
      ledger.close();
      log.info('collector stopped');
    },
  };
}

export interface CollectorParts {
  app: FastifyInstance;
  registry: Registry;
  /** Series put back from the ledger, and those the config no longer allows. */
  restored: { restored: number; skipped: number };
}

/** The collector as tests drive it with app.inject(): nothing listens, the ledger is given. */
export async function buildCollector(deps: { config: Config; ledger: IngestLedger; token: string | null; adminToken?: string | null; log: Logger; now?: () => number }): Promise<CollectorParts> {
  const { config, ledger, log } = deps;
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: VERSION, locations: config.ingest.allowedLocations });
  const ingestMetrics = createIngestMetrics(registry, config, INGEST_REFUSAL_CODES);
  const { restored, skipped } = restoreIngested(registry, ledger, config);
  if (skipped.length > 0) log.warn({ series: skipped.length, examples: skipped.slice(0, 3).map((s) => `${s.metric}${JSON.stringify(s.labels)}`) }, 'state has series the config no longer allows; they start from zero');
  if (restored > 0) log.info({ series: restored }, 'counters restored from the state');
  const store = new ResultStore(config.service.resultsRetained);
  const sink = createResultSink(config, metrics, store);
  const app = buildCollectorApp({ config, metrics, store, log, adminToken: deps.adminToken ?? null, notReadyReasons: () => [], version: VERSION });
  await app.register(ingestPlugin, { config, metrics, ingestMetrics, ledger, sink, token: deps.token, log, now: deps.now, results: true, events: true });
  await app.register(statusPlugin, { config, store, ...(deps.now ? { now: deps.now } : {}) });
  return { app, registry, restored: { restored, skipped: skipped.length } };
}

/**
 * `run` takes real events too (docs/events.md), not agent results: its counters restart from
 * zero with the process, so event ids are remembered in memory only.
 */
export function eventIngestForRun(deps: { config: Config; registry: Registry; metrics: ChannelHealthMetrics; sink: ResultSink; log: Logger; readSecret: SecretReader }): IngestPluginOptions {
  const { config } = deps;
  return {
    config,
    metrics: deps.metrics,
    ingestMetrics: createIngestMetrics(deps.registry, config, INGEST_REFUSAL_CODES),
    ledger: memoryLedger(),
    sink: deps.sink,
    token: config.ingest.token ? deps.readSecret(config.ingest.token, 'ingest.token') : null,
    log: deps.log,
    results: false,
    events: true,
  };
}
