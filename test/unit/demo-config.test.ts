// The demo's config: the shipped one made quick, without making any check time out by design.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoConfig } from '../../cli/demo.js';
import { parseConfig } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

describe('demoConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-demo-config-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('runs quick checks every 10 s with 8 s, and keeps the longer timeout of a hotline call, every 30 s', async () => {
    const text = await demoConfig(path.join(REPO_ROOT, 'channel-health.yaml'), { dir, alertmanagerUrl: 'http://127.0.0.1:9093', receiverUrl: 'http://127.0.0.1:9470/api/v1/alert-notifications' });
    const raw = parse(text) as { checks: Array<{ channel?: string; timeout?: string; interval?: string }> };
    const ivr = raw.checks.filter((c) => c.channel === 'ivr');
    expect(ivr.length).toBeGreaterThan(0);
    for (const c of ivr) expect(c).toMatchObject({ timeout: '28s', interval: '30s' });
    const config = parseConfig(text, 'demo.yaml');
    for (const check of config.checks) {
      if (check.channel === 'ivr') expect([check.id, check.timeoutMs, check.periodMs]).toEqual([check.id, 28_000, 30_000]);
      else expect([check.id, check.timeoutMs, check.periodMs]).toEqual([check.id, 8_000, 10_000]);
    }
  });
});
