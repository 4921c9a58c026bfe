// `channel-health agent`: probes only, at one location (service.location). Every result goes to
// the spool on disk first, then to each collector in batches; the agent's /metrics says how much
// it produced and how much still waits, per collector.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildAgentApp } from '../agent/app.js';
import { AgentError } from '../agent/errors.js';
import { Pusher } from '../agent/pusher.js';
import { Spool } from '../agent/spool.js';
import { createAgentMetrics } from '../collector/metrics.js';
import { loadConfigFile, parseListen, type Config } from '../config/index.js';
import { openProbeSafety, type ProbeSafety } from '../journal/probe-safety.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { sandboxPlugin } from '../sandbox/app.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { commandLogger, EXIT, LOG_FORMAT_HELP, LOG_FORMAT_OPTION, startupFailure, untilSignal, UsageError, type CommandMain } from './command.js';
import { prepareProbes, startProbeEngine, type ProbeEngine } from './probe-engine.js';
import { VERSION } from './version.js';

const HELP = `Usage: channel-health agent --collector URL[,URL…] [--config FILE] [--listen HOST:PORT] [--spool DIR] [--log-format pretty|json]

Runs the config's checks from this location (service.location) and pushes every result to each
collector (POST /api/v1/results, bearer token agent.token). Results are spooled on disk in --spool
(default agent.spoolDir) until each collector acknowledged them, so a collector or agent restart
loses nothing. Serves /metrics, /healthz and /readyz on --listen (default agent.listen).
--collector defaults to agent.collectors. Stops on SIGTERM or SIGINT: no new runs, runs in
flight finish and are spooled. Exit 2 on a bad config or flag; nothing starts. Guide: docs/agents.md.
${LOG_FORMAT_HELP}
`;

export const main: CommandMain = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      collector: { type: 'string', multiple: true },
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      spool: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...LOG_FORMAT_OPTION,
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  let agent: RunningAgent;
  try {
    agent = await startAgent({ configFile: values.config ?? DEFAULT_CONFIG_FILE, collectors: values.collector, listen: values.listen, spoolDir: values.spool, env: io.env, logger: commandLogger(values['log-format'], io) });
  } catch (err) {
    return startupFailure(err, 'agent', io);
  }
  await untilSignal('agent', io);
  await agent.stop();
  return EXIT.ok;
};

/** `--collector` values (repeatable, comma-separated) → normalized base URLs; each named when wrong. */
export function parseCollectorFlags(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const text of values.flatMap((v) => v.split(','))) {
    const value = text.trim();
    if (value === '') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(`--collector: "${value}" must be an absolute URL such as http://collector-1:9470`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--collector: "${value}" must be an http or https URL`);
    if (url.username || url.password) throw new UsageError(`--collector: "${url.host}" must not carry credentials; the token comes from agent.token`);
    if (url.search || url.hash) throw new UsageError(`--collector: "${value}" must be a base URL without query or fragment`);
    const normalized = value.replace(/\/+$/, '');
    if (!out.includes(normalized)) out.push(normalized);
  }
  return out;
}

export interface RunningAgent {
  url: string;
  stop(): Promise<void>;
}

export async function startAgent(options: {
  configFile: string;
  collectors?: readonly string[] | undefined;
  listen?: string | undefined;
  spoolDir?: string | undefined;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}): Promise<RunningAgent> {
  const config = await loadConfigFile(options.configFile);
  const collectors = options.collectors && options.collectors.length > 0 ? parseCollectorFlags(options.collectors) : [...config.agent.collectors];
  if (collectors.length === 0) throw new AgentError('CH_AGENT_NO_COLLECTOR', 'no collector to push to: give --collector URL[,URL…] or agent.collectors in the config');
  let listen = config.agent.listen;
  if (options.listen !== undefined) {
    const parsed = parseListen(options.listen);
    if (!parsed) throw new UsageError(`--listen: "${options.listen}" must be HOST:PORT with a port from 0 to 65535`);
    listen = parsed;
  }
  if (options.spoolDir !== undefined && options.spoolDir.trim() === '') throw new UsageError('--spool: must name a folder');
  if (config.agent.token === null) throw new AgentError('CH_AGENT_NO_TOKEN', `${config.source}: agent.token: collectors refuse pushes without their bearer token; set it to a secret reference such as { env: CH_INGEST_TOKEN }`);
  const log = options.logger ?? createLogger();
  // Secrets first: a missing one stops the start before anything is opened or listens.
  const setup = prepareProbes(config, options.env, log);
  const token = setup.readSecret(config.agent.token, 'agent.token');

  const spoolDir = options.spoolDir ?? config.agent.spoolDir;
  const spool = Spool.open({ dir: spoolDir, collectors });
  for (const [collector, n] of Object.entries(spool.report.droppedForRemovedCollectors)) {
    log.warn({ collector, results: n }, 'collector no longer configured: its undelivered results are dropped from the spool');
  }
  let safety: ProbeSafety;
  try {
    // The probe journal is opened (and a second process refused) before anything listens.
    safety = openProbeSafety(config, log);
  } catch (err) {
    spool.close();
    throw err;
  }
  const { journal, breakers } = safety;
  const checkById = new Map(config.checks.map((c) => [c.id, c]));
  const registry = new Registry();
  const metrics = createAgentMetrics(registry, {
    version: VERSION,
    collectors,
    producedBefore: spool.produced,
    oldestPendingAgeSeconds: (c) => spool.oldestPendingAgeSeconds(c),
    ...(journal ? { journal: () => journal.counts() } : {}),
    breakers: () =>
      breakers.views().map((b) => ({
        channel: checkById.get(b.checkId)?.channel ?? '',
        transaction: checkById.get(b.checkId)?.transaction ?? '',
        location: config.service.location,
        open: b.state !== 'closed',
      })),
  });
  for (const c of collectors) metrics.setPending(c, spool.pendingCount(c));
  const pushers = collectors.map((collector) => new Pusher({ spool, collector, token, batchSize: config.agent.batchSize, maxBackoffMs: config.agent.maxBackoffMs, metrics, log }));

  let engine: ProbeEngine | null = null;
  let app: FastifyInstance | null = null;
  const stopAll = async () => {
    await engine?.stop();
    await safety.stop();
    await Promise.all(pushers.map((p) => p.stop()));
    await app?.close();
    spool.close();
  };
  try {
    app = buildAgentApp({ registry, log, notReadyReasons: () => (engine?.scheduler.isRunning ? [] : ['scheduler not running']) });
    if (config.service.sandbox) await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: setup.sandboxAccounts });
    await app.listen({ host: listen.host, port: listen.port });
    const url = listenUrl(app, listen);
    for (const p of pushers) p.start();
    engine = await startProbeEngine({
      config,
      setup,
      safety,
      sandboxUrl: config.service.sandbox ? `${url}/sandbox` : null,
      // The transports' gauges (SMPP binds, certificate expiry) are the probing process's own.
      registry,
      log,
      onResult: (result) => {
        try {
          if (!spool.add(result)) return;
        } catch (err) {
          log.error({ err, check: result.checkId }, 'result could not be written to the spool; it is lost and not counted as produced');
          return;
        }
        metrics.countProduced(1);
        for (const c of collectors) metrics.setPending(c, spool.pendingCount(c));
        for (const p of pushers) p.notify();
      },
    });
    log.info({ url, config: config.source, location: config.service.location, checks: config.checks.length, collectors, spool: spoolDir, producedBefore: spool.produced }, 'agent started');
    let stopped = false;
    return {
      url,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        log.info('agent stopped');
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function listenUrl(app: FastifyInstance, listen: Config['agent']['listen']): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
}
