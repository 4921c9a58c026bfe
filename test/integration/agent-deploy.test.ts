// deploy/ is checked by the tools that will run it: promtool (config and the linked rules), real
// Prometheus (the replica label expands, the rules load), amtool and a real two-peer Alertmanager
// cluster, systemd-analyze, and channel-health's own flag parser for the units' command lines.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, freePort, REPO_ROOT, startBinary, waitFor, type Managed } from '../support/processes.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const PROMETHEUS_FILES = ['prometheus-thanos.yml', 'prometheus-mimir.yml'];
const started: Managed[] = [];
afterAll(async () => Promise.all(started.map((m) => m.stop())));

const run = (command: string, args: string[], input?: string) => {
  const r = spawnSync(command, args, { encoding: 'utf8', input, cwd: REPO_ROOT, timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

/** `ARGS="..."` of a Debian /etc/default file, as a list of flags. */
function argsOf(file: string): string[] {
  const line = readFileSync(path.join(DEPLOY, file), 'utf8').split('\n').find((l) => l.startsWith('ARGS='));
  return (line ?? '').replace(/^ARGS="/, '').replace(/"$/, '').split(/\s+/).filter(Boolean);
}

describe('deploy/prometheus', () => {
  it.each(PROMETHEUS_FILES)('%s passes promtool check config, rules included', (file) => {
    const { status, out } = run('promtool', ['check', 'config', path.join(DEPLOY, 'prometheus', file)]);
    expect(out).toContain('is valid prometheus config file syntax');
    expect(out).toMatch(/Checking .*recording-rules\.yml\s+SUCCESS: \d+ rules found/);
    expect(out).toMatch(/Checking .*alert-rules\.yml\s+SUCCESS: \d+ rules found/);
    expect(out).not.toMatch(/WARNING|FAILED/);
    expect(status, out).toBe(0);
  });

  it('links the rules to alerts/generated rather than copying them', () => {
    expect(realpathSync(path.join(DEPLOY, 'prometheus/rules'))).toBe(path.join(REPO_ROOT, 'alerts/generated'));
  });

  it('ships Thanos and Mimir variants that differ only in the replica label and remote_write', () => {
    const [thanos, mimir] = PROMETHEUS_FILES.map((f) => parse(readFileSync(path.join(DEPLOY, 'prometheus', f), 'utf8')) as Record<string, Record<string, unknown>>);
    expect(thanos?.global?.external_labels).toEqual({ cluster: 'channel-health', replica: '${PROMETHEUS_REPLICA}' });
    expect(mimir?.global?.external_labels).toEqual({ cluster: 'channel-health', __replica__: '${PROMETHEUS_REPLICA}' });
    const strip = (c: Record<string, unknown> | undefined) => ({ ...c, remote_write: undefined, global: { ...(c?.global as object), external_labels: undefined } });
    expect(strip(mimir)).toEqual(strip(thanos));
    // The scrape job the target-down alert watches is the collectors' job.
    const config = parse(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as { alerting?: { scrapeJob?: string } };
    expect((thanos?.scrape_configs as unknown as Array<{ job_name: string }>).map((j) => j.job_name)).toEqual([config.alerting?.scrapeJob ?? 'channel-health', 'channel-health-agent']);
  });

  it('lists agents with a valid location id and collectors without one', () => {
    const agents = parse(readFileSync(path.join(DEPLOY, 'prometheus/targets/agents.yml'), 'utf8')) as Array<{ targets: string[]; labels: Record<string, string> }>;
    const collectors = parse(readFileSync(path.join(DEPLOY, 'prometheus/targets/collectors.yml'), 'utf8')) as Array<{ targets: string[]; labels: Record<string, string> }>;
    expect(agents.length).toBeGreaterThan(1);
    for (const a of agents) expect(a.labels.location).toMatch(/^[a-z][a-z0-9_]{0,62}$/);
    // A collector's series carry the results' location; a target label would clash with it.
    for (const c of collectors) expect(c.labels).not.toHaveProperty('location');
  });

  it('runs in a real Prometheus with the replica name expanded from the environment and the rules loaded', async () => {
    const port = await freePort();
    const args = argsOf('prometheus/prometheus.default').filter((a) => !a.startsWith('--config.file') && !a.startsWith('--storage.tsdb.retention'));
    expect(args).toContain('--enable-feature=expand-external-labels');
    const prometheus = await startBinary(
      'prometheus',
      [`--config.file=${path.join(DEPLOY, 'prometheus/prometheus-thanos.yml')}`, '--storage.tsdb.path={dir}/data', `--web.listen-address=127.0.0.1:${port}`, ...args],
      { port, readyPath: '/-/ready', env: { PROMETHEUS_REPLICA: 'prometheus-b' } },
    );
    started.push(prometheus);
    const config = (await (await fetch(`${prometheus.url}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    expect((parse(config.data.yaml) as { global: { external_labels: Record<string, string> } }).global.external_labels).toEqual({ cluster: 'channel-health', replica: 'prometheus-b' });
    const rules = await waitFor(
      async () => {
        const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string; rules: unknown[] }> } };
        return body.data.groups.length > 0 ? body.data.groups : undefined;
      },
      10_000,
      'rule groups',
    );
    expect(rules.reduce((n, g) => n + g.rules.length, 0)).toBeGreaterThan(10);
  }, 30_000);
});

describe('deploy/alertmanager', () => {
  it('the generated config, its placeholders filled as the guide says, passes amtool check-config', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ch-am-check-'));
    const text = readFileSync(path.join(REPO_ROOT, 'alerts/generated/alertmanager.yml'), 'utf8').replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => `https://hooks.example.invalid/${name.toLowerCase()}`);
    const file = path.join(dir, 'alertmanager.yml');
    await writeFile(file, text);
    const { status, out } = run('amtool', ['check-config', file]);
    await rm(dir, { recursive: true, force: true });
    expect(out).toContain('SUCCESS');
    expect(status, out).toBe(0);
  });

  it('forms a cluster with the flags of prometheus-alertmanager.default', async () => {
    const flags = argsOf('alertmanager/prometheus-alertmanager.default');
    expect(flags.filter((f) => f.startsWith('--cluster.peer=')).length).toBe(2);
    expect(flags).toContain('--cluster.listen-address=0.0.0.0:9094');
    const config = 'route: { receiver: none }\nreceivers: [{ name: none }]\n';
    const peers = await Promise.all([1, 2].map(async () => ({ web: await freePort(), gossip: await freePort() })));
    // The unit's flags, with hosts and ports moved to loopback: the first peer, then the second joining it.
    const own = (p: { web: number; gossip: number }, others: Array<{ gossip: number }>) => [
      ...flags.filter((f) => !/^--(config\.file|storage\.path|web\.listen-address|cluster\.listen-address|cluster\.peer)=/.test(f)),
      '--config.file={dir}/alertmanager.yml',
      '--storage.path={dir}/data',
      `--web.listen-address=127.0.0.1:${p.web}`,
      `--cluster.listen-address=127.0.0.1:${p.gossip}`,
      `--cluster.advertise-address=127.0.0.1:${p.gossip}`,
      ...others.map((o) => `--cluster.peer=127.0.0.1:${o.gossip}`),
    ];
    for (const [i, p] of peers.entries()) {
      const m = await startBinary('sh', ['-c', `printf '%s' "$AM_CONFIG" > "$0/alertmanager.yml" && exec prometheus-alertmanager "$@"`, '{dir}', ...own(p, peers.filter((_, j) => j !== i))], {
        port: p.web,
        readyPath: '/-/healthy',
        env: { AM_CONFIG: config },
      });
      started.push(m);
    }
    const status = await waitFor(
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${peers[0]?.web}/api/v2/status`)).json()) as { cluster: { status: string; peers: unknown[] } };
        return body.cluster.status === 'ready' && body.cluster.peers.length === 2 ? body.cluster : undefined;
      },
      40_000,
      'a two-peer ready cluster',
      500,
    );
    expect(status.peers).toHaveLength(2);
  }, 60_000);
});

describe('deploy/systemd', () => {
  it.each(['channel-health-agent.service', 'channel-health-collector.service'])('%s passes systemd-analyze verify without a warning', (unit) => {
    const { out } = run('systemd-analyze', ['verify', path.join(DEPLOY, 'systemd', unit)]);
    expect(out.trim()).toBe('');
  });

  it.each([
    ['channel-health-agent.service', 'agent'],
    ['channel-health-collector.service', 'collector'],
  ])('%s starts `channel-health %s` with flags the command takes', (unit, command) => {
    const execStart = readFileSync(path.join(DEPLOY, 'systemd', unit), 'utf8').split('\n').find((l) => l.startsWith('ExecStart='));
    const words = (execStart ?? '').replace('ExecStart=', '').split(/\s+/);
    expect(words.slice(0, 3)).toEqual(['/usr/bin/node', '/opt/channel-health/dist/cli/main.js', command]);
    // --help after the unit's flags: exit 0 only when every flag before it is known.
    const { status, out } = run(process.execPath, [CLI, command, ...words.slice(3), '--help']);
    expect(status, out).toBe(0);
    expect(out).toContain(`Usage: channel-health ${command}`);
  });
});
