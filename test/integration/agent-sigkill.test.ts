// Nothing lost, nothing counted twice: an agent probes a standalone sandbox every second and
// pushes to a collector that is killed with SIGKILL several times (and the agent once too).
// Afterwards the collector's channel_health_probe_runs_total, summed over the agent's checks,
// equals the agent's channel_health_agent_results_total minus its spool_pending. Real processes,
// loopback only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCommand, waitFor, type Managed } from '../support/processes.js';

const ENV = { CH_SANDBOX_PIN: 'sandbox-pin-4242', CH_INGEST_TOKEN: 'ingest-token-for-the-sigkill-test' };
const LOCATION = 'edge_a';
const CHECKS = 6;

function configYaml(sandboxPort: number): string {
  const base = `http://127.0.0.1:${sandboxPort}/sandbox/channels`;
  return `
version: 1
service: { location: ${LOCATION}, concurrency: 16 }
tiers:
  core: { objective: 0.9998 }
  noncore: { objective: 0.94 }
backends:
  billing: {}
  crm: {}
channels:
  web: { transport: http, baseUrl: "${base}/web", businessCode: &envelope { path: $.code, success: ["0000"] } }
  app: { transport: http, baseUrl: "${base}/app", businessCode: *envelope }
  sms: { transport: http, baseUrl: "${base}/sms", businessCode: *envelope }
transactions:
  balance_query: { tier: core, backends: [billing] }
  other_query: { tier: noncore, backends: [crm] }
accounts:
  sandbox:
${[1, 2, 3, 4, 5, 6].map((n) => `    - { msisdn: "1390000000${n}", pin: { env: CH_SANDBOX_PIN } }`).join('\n')}
flows:
  balance_query:
    accountPool: sandbox
    steps:
      - &login { name: login, request: { method: POST, url: "{{channel.baseUrl}}/login", json: { msisdn: "{{account.msisdn}}", pin: "{{account.pin}}" } }, extract: { token: $.data.token } }
      - { name: balance, request: { url: "{{channel.baseUrl}}/balance", headers: { authorization: "Bearer {{vars.token}}" } }, assert: { json: [{ path: $.data.balance, exists: true }] } }
  other_query:
    accountPool: sandbox
    steps:
      - *login
      - { name: points, request: { url: "{{channel.baseUrl}}/points", headers: { authorization: "Bearer {{vars.token}}" } } }
checkDefaults: { interval: 1s, timeout: 800ms }
checks:
  - { channels: [web, app, sms], transactions: [balance_query, other_query] }
ingest:
  token: { env: CH_INGEST_TOKEN }
  allowedLocations: [${LOCATION}]
agent:
  token: { env: CH_INGEST_TOKEN }
  batchSize: 25
  maxBackoff: 1s
`;
}

const text = async (m: Managed) => (await fetch(`${m.url}/metrics`)).text();
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of exposition.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    if (want.every((w) => line.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
const agentState = async (agent: Managed) => {
  const t = await text(agent);
  return { produced: sample(t, 'channel_health_agent_results_total'), pending: sample(t, 'channel_health_agent_spool_pending'), refused: sample(t, 'channel_health_agent_results_refused_total') };
};
const collected = async (collector: Managed) => sample(await text(collector), 'channel_health_probe_runs_total', { location: LOCATION });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

async function kill(m: Managed): Promise<void> {
  const gone = new Promise((r) => m.proc.once('exit', r));
  m.proc.kill('SIGKILL');
  await gone;
  await m.stop();
}

describe('agent and collector, collector killed with SIGKILL', () => {
  let dir: string;
  let configFile: string;
  let sandbox: Managed;
  let collector: Managed;
  let agent: Managed;
  let ports: { sandbox: number; collector: number; agent: number };
  const startCollector = () => startCommand('collector', ['--config', configFile, '--state', path.join(dir, 'collector-state')], { port: ports.collector, readyPath: '/readyz', env: ENV });
  const startAgent = () =>
    startCommand('agent', ['--config', configFile, '--collector', `http://127.0.0.1:${ports.collector}`, '--spool', path.join(dir, 'agent-spool')], { port: ports.agent, readyPath: '/readyz', env: ENV });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-agent-kill-'));
    ports = { sandbox: await freePort(), collector: await freePort(), agent: await freePort() };
    configFile = path.join(dir, 'agent.yaml');
    await writeFile(configFile, configYaml(ports.sandbox));
    sandbox = await startCommand('sandbox', ['--config', configFile], { port: ports.sandbox, readyPath: '/sandbox/faults', env: ENV });
    collector = await startCollector();
    agent = await startAgent();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing and counts nothing twice', async () => {
    await waitFor(async () => ((await agentState(agent)).produced >= CHECKS ? true : undefined), 15_000, 'first results');
    let maxPending = 0;
    let kills = 0;
    for (let round = 0; round < 5; round++) {
      await sleep(between(800, 2000));
      await kill(collector);
      kills++;
      // While the collector is gone the agent keeps probing; results wait in its spool.
      await sleep(between(400, 1500));
      maxPending = Math.max(maxPending, (await agentState(agent)).pending);
      if (round === 2) {
        // The agent dies too, mid-push or mid-probe, and comes back to its spool.
        await kill(agent);
        agent = await startAgent();
      }
      collector = await startCollector();
    }
    expect(kills).toBe(5);
    expect(maxPending, 'results waited in the spool while the collector was down').toBeGreaterThan(0);

    // Pushes keep flowing; read agent, collector, agent again until a quiet instant (no push in
    // between) shows the equation, which must then hold exactly; and wait for one where the
    // spool is also empty, so everything produced has gone through. A lost or double-counted
    // result would make the equation fail at every instant.
    const seen: string[] = [];
    const settled = await waitFor(
      async () => {
        const a1 = await agentState(agent);
        const c = await collected(collector);
        const a2 = await agentState(agent);
        seen.push(`produced=${a1.produced} pending=${a1.pending} collected=${c}`);
        if (a1.produced !== a2.produced || a1.pending !== a2.pending) return undefined;
        return c === a1.produced - a1.pending && a1.pending === 0 ? { ...a1, collected: c } : undefined;
      },
      20_000,
      'collector total = produced − pending',
      50,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast readings:\n${seen.slice(-10).join('\n')}\n--- collector ---\n${collector.output().slice(-2000)}\n--- agent ---\n${agent.output().slice(-2000)}`);
    });
    expect(settled.refused).toBe(0);
    // A second a check, six checks, ~20 s of probing: plenty of traffic went through the kills.
    expect(settled.produced).toBeGreaterThan(60);

    // The agent shows its checks' breakers (closed: the sandbox is healthy) beside its delivery state.
    const agentExposition = await text(agent);
    expect(sample(agentExposition, 'channel_health_probe_breaker_open', { channel: 'web', transaction: 'balance_query', location: LOCATION })).toBe(0);
    expect(agentExposition).toContain('channel_health_probe_breaker_open{channel="sms",transaction="other_query",location="edge_a"} 0');

    // Per check as well: the collector has each check's runs, and none for labels it was not sent.
    const exposition = await text(collector);
    for (const channel of ['web', 'app', 'sms']) {
      for (const transaction of ['balance_query', 'other_query']) {
        expect(sample(exposition, 'channel_health_probe_runs_total', { channel, transaction, location: LOCATION }), `${channel}.${transaction}`).toBeGreaterThan(5);
      }
    }
  }, 90_000);
});
