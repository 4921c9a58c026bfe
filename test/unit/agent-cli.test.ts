// Bad input to `agent` and `collector`, and to the config's agent and ingest sections: a clear
// message naming where and why, exit 2, nothing started.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCollectorFlags } from '../../cli/agent.js';
import { ConfigError, parseConfig } from '../../config/index.js';
import { CLI, REPO_ROOT } from '../support/processes.js';
import { INGEST_CONFIG_YAML, ingestConfig } from '../support/ingest-fixtures.js';

let dir: string;
let configFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-agent-cli-'));
  configFile = path.join(dir, 'c.yaml');
  await writeFile(configFile, `${INGEST_CONFIG_YAML}agent:\n  token: { env: CH_TEST_AGENT_TOKEN }\n  spoolDir: spool\n`);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, env: { PATH: process.env.PATH, CH_LOG_LEVEL: 'warn', ...env }, timeout: 20_000 });
  return { status: r.status, err: r.stderr };
};

describe('channel-health agent and collector refuse bad input', () => {
  it.each([
    [['agent', '--config', 'CONFIG'], {}, 'CH_AGENT_NO_COLLECTOR: no collector to push to: give --collector URL[,URL…] or agent.collectors in the config'],
    [['agent', '--config', 'CONFIG', '--collector', 'ftp://x'], {}, '--collector: "ftp://x" must be an http or https URL'],
    [['agent', '--config', 'CONFIG', '--collector', 'collector-1:9470'], {}, '--collector: "collector-1:9470" must be an http or https URL'],
    [['agent', '--config', 'CONFIG', '--collector', 'http://127.0.0.1:1', '--listen', 'nowhere'], {}, '--listen: "nowhere" must be HOST:PORT'],
    [['agent', '--config', 'CONFIG', '--collector', 'http://127.0.0.1:1'], {}, 'CH_SECRET_MISSING'],
    [['collector', '--config', 'CONFIG'], {}, 'ingest.token: environment variable CH_TEST_INGEST_TOKEN is not set'],
    [['collector', '--config', 'CONFIG', '--state', ''], { CH_TEST_INGEST_TOKEN: 't' }, '--state: must name a folder'],
    [['collector', '--config', 'CONFIG', '--nope'], {}, "Unknown option '--nope'"],
  ])('%j exits 2 naming the problem', (args, env, message) => {
    const { status, err } = cli(args.map((a) => (a === 'CONFIG' ? configFile : a)), env);
    expect(err).toContain(message);
    expect(status).toBe(2);
  });

  it('parses repeated and comma-separated --collector values, trimming and de-duplicating', () => {
    expect(parseCollectorFlags(['http://a:9470/, https://b.example:9470', 'http://a:9470'])).toEqual(['http://a:9470', 'https://b.example:9470']);
    expect(() => parseCollectorFlags(['http://user:secret@a:9470'])).toThrow('must not carry credentials');
    expect(() => parseCollectorFlags(['http://a:9470/?x=1'])).toThrow('without query or fragment');
  });
});

describe('config: agent and ingest sections', () => {
  const problems = (extra: string) => {
    try {
      ingestConfig(extra);
    } catch (err) {
      return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  };

  it('applies defaults relative to the config file', () => {
    const config = ingestConfig();
    expect(config.agent).toMatchObject({ collectors: [], token: null, listen: { host: '127.0.0.1', port: 9472 }, spoolDir: '/tmp/.channel-health/agent', batchSize: 200, maxBackoffMs: 30_000 });
    expect(config.ingest).toMatchObject({ allowedLocations: ['dc1', 'store_net'], maxBatch: 50, maxBodyBytes: 65536, stateDir: '/tmp/.channel-health/collector', dedupeWindowMs: 7 * 86_400_000 });
  });

  it('names every problem with its path', () => {
    const text = `agent:\n  collectors: ["http://u:p@c:9470", "c:9470", "http://x:1", "http://x:1/"]\n  listen: "9472"\n  maxBackoff: 500ms\n  batchSize: 0\n  token: "inline-secret"\n`;
    expect(problems(text)).toEqual(
      expect.arrayContaining([
        'agent.batchSize: must be >= 1',
        'agent.token: does not match any allowed form',
      ]),
    );
    const semantic = `agent:\n  collectors: ["http://u:p@c:9470", "c:9470", "http://x:1", "http://x:1/"]\n  listen: "9472"\n  maxBackoff: 500ms\n`;
    expect(problems(semantic)).toEqual([
      'agent.collectors[0]: must not carry credentials; give the token as agent.token (a secret reference)',
      'agent.collectors[1]: must be an http or https URL (got "c:")',
      'agent.collectors: lists a collector twice',
      'agent.listen: must be HOST:PORT with a port from 0 to 65535',
      'agent.maxBackoff: must be whole seconds and at least 1s (got 500ms)',
    ]);
  });

  it('refuses an ingest section with a location twice, a bad location id or a window under a minute', () => {
    const withIngest = INGEST_CONFIG_YAML.slice(0, INGEST_CONFIG_YAML.indexOf('ingest:')) + 'ingest:\n  allowedLocations: [dc1, dc1, Store-Net]\n  dedupeWindow: 30s\n  maxBodyBytes: 10\n';
    let error: ConfigError | null = null;
    try {
      parseConfig(withIngest, '/tmp/ingest-bad.yaml');
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.code).toBe('CH_CONFIG_INVALID');
    const listed = (error?.problems ?? []).map((p) => `${p.path}: ${p.message}`);
    expect(listed).toContain('ingest.maxBodyBytes: must be >= 1024');
    expect(listed.some((l) => l.startsWith('ingest.allowedLocations[2]: must match pattern'))).toBe(true);
    // Schema problems stop the load first; with them fixed the cross-field rules speak.
    expect(() => parseConfig(withIngest.replace(', Store-Net', '').replace('  maxBodyBytes: 10\n', ''), '/tmp/ingest-bad.yaml')).toThrow(
      '/tmp/ingest-bad.yaml: ingest.allowedLocations: lists a location twice; ingest.dedupeWindow: must be whole seconds and at least 60s (got 30s)',
    );
  });
});
