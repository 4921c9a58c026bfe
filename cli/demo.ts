// `channel-health demo`: the whole loop on one machine in a minute. `run` (probes, sandbox, status
// page) plus a real Prometheus and Alertmanager from the PATH, wired with the rules and the
// Alertmanager config generated from the same config, and a webhook receiver built into the
// status page, so an injected fault becomes a page you can see. State lives in a temporary folder
// removed at exit; Ctrl-C stops every process the demo started.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { alertFiles, OUTPUT } from '../alerts/index.js';
import { formatPromDuration, loadConfigFile, parseDuration, parseListen } from '../config/index.js';
import type { StatusErrorCode } from '../status/errors.js';
import { NotificationLog } from '../status/notification-log.js';
import type { NotificationSummary } from '../status/snapshot.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { commandLogger, EXIT, LOG_FORMAT_HELP, LOG_FORMAT_OPTION, startupFailure, untilSignal, UsageError, type CliIO, type CommandMain } from './command.js';
import { startService, type RunningService } from './run.js';

const HELP = `Usage: channel-health demo [--config FILE] [--listen HOST:PORT] [--log-format pretty|json]

Starts \`run\` with the config (default ${DEFAULT_CONFIG_FILE}) made quick for a demo (probes every
10 s, Alertmanager timers of seconds), plus Prometheus and Alertmanager from the PATH, wired with
the rules and Alertmanager config generated from it. Alertmanager delivers to a webhook receiver
built into the status page; each notification also prints here. Prints the URLs. State is kept
in a temporary folder, removed at exit. Ctrl-C (SIGINT) or SIGTERM stops every process it started.
Needs the Debian packages prometheus and prometheus-alertmanager; when one is missing it says so
and starts nothing (exit 2). Guide: docs/status.md.
${LOG_FORMAT_HELP}
`;

/** The programs the demo runs, with the Debian package that provides each. */
export const DEMO_BINARIES = [
  { program: 'prometheus', debianPackage: 'prometheus' },
  { program: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' },
] as const;

// Quick enough that a fault pages within a minute or two, slow enough that a busy laptop's
// probes finish inside their timeout.
const PROBE_INTERVAL = '10s';
const PROBE_TIMEOUT = '8s';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;

export const main: CommandMain = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' }, help: { type: 'boolean', short: 'h' }, ...LOG_FORMAT_OPTION },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const missing = missingBinaries(io.env.PATH ?? '');
  if (missing.length > 0) {
    const code: StatusErrorCode = 'CH_DEMO_MISSING_BINARY';
    for (const m of missing) io.stderr.write(`${code}: ${m.program} not found on the PATH: apt-get install ${m.debianPackage}\n`);
    io.stderr.write('channel-health demo: nothing was started\n');
    return EXIT.badInput;
  }
  const listenText = values.listen ?? '127.0.0.1:9470';
  const listen = parseListen(listenText);
  if (!listen) throw new UsageError(`--listen: "${listenText}" must be HOST:PORT with a port from 0 to 65535`);
  if (!io.env.CH_LOG_LEVEL && values['log-format'] === undefined) io.env.CH_LOG_LEVEL = 'warn';
  const logger = commandLogger(values['log-format'], io);

  let demo: RunningDemo;
  try {
    demo = await startDemo({ configFile: values.config ?? DEFAULT_CONFIG_FILE, host: listen.host, port: listen.port, io, logger });
  } catch (err) {
    if (err instanceof DemoPartFailed) {
      io.stderr.write(`channel-health demo: ${err.message}\n`);
      return EXIT.failed;
    }
    return startupFailure(err, 'demo', io);
  }
  const stopped = await Promise.race([untilSignal('demo', io).then(() => null), demo.failed]);
  if (stopped) io.stderr.write(`channel-health demo: ${stopped}; stopping everything\n`);
  await demo.stop();
  return stopped ? EXIT.failed : EXIT.ok;
};

/** Programs of DEMO_BINARIES that no folder of PATH holds as an executable file. */
export function missingBinaries(pathVariable: string): Array<(typeof DEMO_BINARIES)[number]> {
  const dirs = pathVariable.split(path.delimiter).filter(Boolean);
  return DEMO_BINARIES.filter(({ program }) =>
    dirs.every((dir) => {
      try {
        accessSync(path.join(dir, program), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    }),
  );
}

class DemoPartFailed extends Error {}

interface RunningDemo {
  /** Resolves with a reason when a part of the demo dies on its own. */
  failed: Promise<string>;
  stop(): Promise<void>;
}

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

async function startDemo(options: { configFile: string; host: string; port: number; io: CliIO; logger: ReturnType<typeof commandLogger> }): Promise<RunningDemo> {
  const { io } = options;
  const dir = await mkdtemp(path.join(tmpdir(), 'channel-health-demo-'));
  const children: Child[] = [];
  let service: RunningService | null = null;
  let reportFailure: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));
  let stopping = false;

  const stop = async () => {
    stopping = true;
    // Prometheus first (it sends to Alertmanager), then Alertmanager, then the service it scrapes.
    for (const child of [...children].reverse()) await stopChild(child);
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const port = options.port === 0 ? await freePort(options.host) : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = `http://${host}:${port}`;
    const amPort = await freePort('127.0.0.1');
    const promPort = await freePort('127.0.0.1');
    const amUrl = `http://127.0.0.1:${amPort}`;
    const promUrl = `http://127.0.0.1:${promPort}`;

    const configFile = path.join(dir, 'demo.yaml');
    await writeFile(configFile, await demoConfig(options.configFile, { dir, alertmanagerUrl: amUrl, receiverUrl: `${url}/api/v1/alert-notifications` }));
    const config = await loadConfigFile(configFile);
    const files = alertFiles(config, { sourceName: 'demo.yaml' });
    const content = (p: string) => files.find((f) => f.path === p)?.content as string;
    const rules = [OUTPUT.recording, OUTPUT.alerting].map((p) => path.join(dir, path.basename(p)));
    await writeFile(rules[0] as string, content(OUTPUT.recording));
    await writeFile(rules[1] as string, content(OUTPUT.alerting));
    await writeFile(path.join(dir, 'alertmanager.yml'), content(OUTPUT.alertmanager));
    await writeFile(path.join(dir, 'prometheus.yml'), prometheusConfig({ target: `${host}:${port}`, rules, alertmanager: `127.0.0.1:${amPort}` }));

    const notifications = new NotificationLog();
    notifications.subscribe((n) => io.stdout.write(notificationLine(n)));
    service = await startService({ configFile, listen: `${options.host}:${port}`, io, logger: options.logger, notifications });

    const spawnChild = (name: string, args: string[]) => {
      const log = createWriteStream(path.join(dir, `${name}.log`));
      const proc = spawn(name, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout?.pipe(log);
      proc.stderr?.pipe(log);
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.once('exit', (code, signal) => {
        if (!stopping) reportFailure(`${name} exited (${signal ?? `code ${code}`}); its log was ${path.join(dir, `${name}.log`)}`);
      });
      proc.once('error', (err) => {
        if (!stopping) reportFailure(`${name} could not run: ${err.message}`);
      });
      const child = { name, proc, exited };
      children.push(child);
      return child;
    };
    spawnChild('prometheus-alertmanager', [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // No cluster: a lone Alertmanager needs no gossip port.
      '--cluster.listen-address=',
    ]);
    spawnChild('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      // Alerts reach Alertmanager a second after they fire, not a minute.
      '--rules.alert.resend-delay=1s',
    ]);
    await Promise.race([Promise.all([untilReady(`${amUrl}/-/ready`), untilReady(`${promUrl}/-/ready`)]), failed.then((reason) => Promise.reject(new DemoPartFailed(reason)))]);

    io.stdout.write(
      [
        '',
        'channel-health demo is running. Press Ctrl-C to stop everything.',
        '',
        `  status page    ${url}/`,
        `  metrics        ${url}/metrics`,
        `  API            ${url}/api/v1/openapi.json`,
        `  Prometheus     ${promUrl}/alerts   (pid ${children[1]?.proc.pid})`,
        `  Alertmanager   ${amUrl}/   (pid ${children[0]?.proc.pid})`,
        `  state          ${dir}   (removed at exit)`,
        '',
        'Break billing and watch the page (alerts and notifications print here too):',
        `  curl -s -XPOST ${url}/sandbox/faults -H 'content-type: application/json' -d '{"scope":{"backend":"billing"},"mode":"error","rate":1}'`,
        `  curl -s -XDELETE ${url}/sandbox/faults`,
        '',
      ].join('\n') + '\n',
    );
    return { failed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The user's config made quick: probes every 10 s (longer calls as often as their timeout allows), short windows, every severity to the built-in receiver. */
export async function demoConfig(source: string, options: { dir: string; alertmanagerUrl: string; receiverUrl: string }): Promise<string> {
  const raw = parse(await readFile(source, 'utf8')) as Record<string, unknown>;
  const service = (raw.service ?? {}) as Record<string, unknown>;
  const alerting = (raw.alerting ?? {}) as Record<string, unknown>;
  const demo: Record<string, unknown> = {
    ...raw,
    service: { ...service, sandbox: service.sandbox ?? true, alertmanagerUrl: options.alertmanagerUrl, journal: { ...((service.journal ?? {}) as object), path: path.join(options.dir, 'journal.sqlite') } },
    checkDefaults: { ...((raw.checkDefaults ?? {}) as object), interval: PROBE_INTERVAL, timeout: PROBE_TIMEOUT },
    alerting: {
      ...alerting,
      evidenceWindows: ['1m'],
      recoveryWindow: '30s',
      routes: { page: 'oncall', warning: 'noc', ticket: 'review' },
      alertmanager: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' },
    },
    // The Watchdog goes nowhere: the demo has no dead man's switch to feed.
    receivers: { oncall: { url: options.receiverUrl }, noc: { url: options.receiverUrl }, review: { url: options.receiverUrl } },
  };
  const checks = (raw.checks ?? []) as Array<Record<string, unknown>>;
  // A check's own schedule would keep it slow; the demo's cadence wins, except for a check that
  // needs longer than the demo's timeout (a hotline top-up call takes about 20 s): it keeps its
  // own timeout and runs as often as that allows, or every one of its runs would time out.
  const demoTimeoutMs = parseDuration(PROBE_TIMEOUT);
  demo.checks = checks.map(({ interval: _i, cron: _c, timeout, ...rest }) => {
    const ownMs = typeof timeout === 'string' && /^[0-9]+(ms|s|m|h|d)$/.test(timeout) ? parseDuration(timeout) : null;
    // A malformed timeout stays, for the config loader to name.
    if (timeout !== undefined && ownMs === null) return { ...rest, timeout };
    if (ownMs === null || ownMs <= demoTimeoutMs) return rest;
    return { ...rest, timeout, interval: formatPromDuration(Math.ceil((ownMs + 2000) / 10_000) * 10_000) };
  });
  return `# channel-health demo: generated from ${source}; removed when the demo stops.\n${stringify(demo, { aliasDuplicateObjects: false })}`;
}

function prometheusConfig(options: { target: string; rules: string[]; alertmanager: string }): string {
  return [
    'global:',
    '  scrape_interval: 2s',
    '  evaluation_interval: 2s',
    'rule_files:',
    ...options.rules.map((f) => `  - ${JSON.stringify(f)}`),
    'alerting:',
    '  alertmanagers:',
    '    - static_configs:',
    `        - targets: [${JSON.stringify(options.alertmanager)}]`,
    'scrape_configs:',
    '  - job_name: channel-health',
    '    static_configs:',
    `      - targets: [${JSON.stringify(options.target)}]`,
    '',
  ].join('\n');
}

/** One line per notification; alerts alike (one per channel × transaction) are counted, not repeated. */
export function notificationLine(n: NotificationSummary): string {
  const counts = new Map<string, number>();
  for (const a of n.alerts) {
    const key = `${a.severity} ${a.name}${a.summary ? `: ${a.summary}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const alerts = [...counts].map(([key, count]) => (count > 1 ? `${key} (×${count})` : key)).join('; ');
  return `${n.at.slice(11, 19)} alert ${n.status === 'firing' ? 'FIRING' : 'resolved'} to ${n.receiver}: ${alerts}\n`;
}

async function untilReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new DemoPartFailed(`${url} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), STOP_GRACE_MS);
  await child.exited;
  clearTimeout(timer);
}

/** A port free on `host` now (bound, then released): Prometheus must know the target before it starts. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
