// check-config reads every secret the service would read at start, from this environment, and
// names each missing one with its path; --no-secrets skips that. Values are never printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingSecrets, parseConfig, secretReader, secretUses } from '../../config/index.js';
import { CLI, REPO_ROOT } from '../support/processes.js';

const MINIMAL = readFileSync(path.join(REPO_ROOT, 'test/fixtures/config-valid/minimal.yaml'), 'utf8');
const WITH_SECRETS = `${MINIMAL.replace('location: local }', 'location: local, adminToken: { env: CH_T_ADMIN } }')}accounts:
  pool: [ { msisdn: "13900000001", pin: { env: CH_T_PIN } }, { msisdn: "13900000002", pin: { file: pin.txt } } ]
ingest: { token: { env: CH_T_INGEST } }
agent: { token: { env: CH_T_AGENT } }
receivers: { oncall: { url: { env: CH_T_WEBHOOK } } }
`;
const dir = mkdtempSync(path.join(tmpdir(), 'ch-config-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'ch.yaml');
writeFileSync(file, WITH_SECRETS);

function checkConfig(args: string[], env: Record<string, string>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CH_T_')));
  return spawnSync(process.execPath, [CLI, 'check-config', ...args], { encoding: 'utf8', timeout: 20_000, env: { ...base, ...env } });
}

describe('secrets in check-config', () => {
  it('lists the secrets channel-health reads, not the receivers Alertmanager reads', () => {
    const uses = secretUses(parseConfig(WITH_SECRETS, file));
    expect(uses.map((u) => u.path)).toEqual(['service.adminToken', 'ingest.token', 'agent.token', 'accounts.pool[0].pin', 'accounts.pool[1].pin']);
  });

  it('collects every missing secret instead of stopping at the first', () => {
    const config = parseConfig(WITH_SECRETS, file);
    const problems = missingSecrets(secretUses(config), secretReader(dir, { CH_T_INGEST: 'x' }));
    expect(problems.map((p) => p.path)).toEqual(['service.adminToken', 'agent.token', 'accounts.pool[0].pin', 'accounts.pool[1].pin']);
  });

  it('exits 2 naming each missing secret with its path and who reads it', () => {
    const res = checkConfig([file], { CH_T_ADMIN: 'admin-secret-value' });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('CH_SECRET_MISSING: ');
    expect(res.stderr).toContain('4 problems');
    expect(res.stderr).toContain('ingest.token: environment variable CH_T_INGEST is not set (read by run, collector)');
    expect(res.stderr).toContain('agent.token: environment variable CH_T_AGENT is not set (read by agent)');
    expect(res.stderr).toContain('accounts.pool[0].pin: environment variable CH_T_PIN is not set (read by run, agent, sandbox)');
    expect(res.stderr).toContain(`accounts.pool[1].pin: cannot read secret file ${path.join(dir, 'pin.txt')}: ENOENT`);
    expect(res.stderr).not.toContain('admin-secret-value');
  });

  it('passes when every secret is readable, and --no-secrets skips the check', () => {
    writeFileSync(path.join(dir, 'pin.txt'), '1234\n');
    const ok = checkConfig([file], { CH_T_ADMIN: 'a', CH_T_PIN: 'b', CH_T_INGEST: 'c', CH_T_AGENT: 'd' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('secrets:      5 referenced, all readable here');
    rmSync(path.join(dir, 'pin.txt'));
    const skipped = checkConfig(['--no-secrets', file], {});
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain('secrets:      not checked (--no-secrets)');
  });

  it('with the sandbox embedded, an unset PIN variable is not missing (run uses a random PIN)', () => {
    const embedded = path.join(dir, 'embedded.yaml');
    writeFileSync(embedded, `${MINIMAL.replace('location: local }', 'location: local, sandbox: true }')}accounts:\n  pool: [ { msisdn: "13900000001", pin: { env: CH_T_PIN } } ]\n`);
    const res = checkConfig([embedded], {});
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('secrets:      1 referenced, all readable here');
  });
});
