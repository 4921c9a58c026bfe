// docs/sandbox.md and docs/errors.md say what the sandbox does: every business code, every
// CH_SANDBOX_ error with its HTTP status, and every channel endpoint with its transaction.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../config/index.js';
import { sandboxPlugin } from '../../sandbox/app.js';
import { BUSINESS_CODES } from '../../sandbox/envelope.js';
import { SandboxErrorCodes } from '../../sandbox/errors.js';
import { REPO_ROOT } from '../support/processes.js';

const sandboxDoc = readFileSync(path.join(REPO_ROOT, 'docs/sandbox.md'), 'utf8');
const errorsDoc = readFileSync(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');

describe('sandbox docs', () => {
  test('the business-code table lists exactly the codes the sandbox answers with', () => {
    const section = sandboxDoc.slice(sandboxDoc.indexOf('### Business codes'), sandboxDoc.indexOf('### Test accounts'));
    const documented = [...section.matchAll(/^\| `(\d{4})` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(BUSINESS_CODES).sort());
  });

  test('the shipped config names every failure code the sandbox answers with, on every channel that answers with codes', async () => {
    const config = await loadConfigFile(path.join(REPO_ROOT, 'channel-health.yaml'));
    const failures = Object.keys(BUSINESS_CODES).filter((c) => c !== '0000').sort();
    // A sip channel answers with prompts, not codes: its refusal is a prompt (sip.busyPrompts).
    for (const channel of config.channels.filter((c) => c.transport !== 'sip')) expect(Object.keys(channel.businessCode?.errors ?? {}).sort(), channel.id).toEqual(failures);
    expect(config.channels.filter((c) => c.transport === 'sip').map((c) => [c.id, c.sip?.busyPrompts])).toEqual([['ivr', ['system_busy']]]);
  });

  test('every CH_SANDBOX_ code is in docs/errors.md with its HTTP status', () => {
    const section = errorsDoc.slice(errorsDoc.indexOf('## Sandbox ('));
    expect(section.length).toBeGreaterThan(0);
    for (const [code, { status }] of Object.entries(SandboxErrorCodes.codes)) {
      expect(section, code).toMatch(new RegExp(`^\\| \`${code}\` \\| ${status ?? '—'} \\|`, 'm'));
    }
  });

  test('every channel endpoint is in the endpoint table, with the transaction it serves', async () => {
    const config = await loadConfigFile(path.join(REPO_ROOT, 'channel-health.yaml'));
    const app = Fastify();
    const routes: Array<{ method: string; url: string; transaction: string | null }> = [];
    app.addHook('onRoute', (route) => {
      const methods = [route.method].flat().filter((m) => m !== 'HEAD');
      const transaction = (route.config as { transaction?: string | null; transactionFromPath?: boolean } | undefined) ?? {};
      for (const method of methods) routes.push({ method, url: route.url, transaction: transaction.transactionFromPath ? 'the one named' : (transaction.transaction ?? null) });
    });
    await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: [] });
    await app.ready();
    const channelRoutes = routes.filter((r) => r.url.startsWith('/sandbox/channels/:channel/'));
    expect(channelRoutes.length).toBeGreaterThanOrEqual(17);
    for (const r of channelRoutes) {
      const endpoint = `${r.method} ${r.url.slice('/sandbox/channels/:channel'.length)}`;
      const row = sandboxDoc.split('\n').find((line) => line.startsWith(`| \`${endpoint}\` |`));
      expect(row, endpoint).toBeDefined();
      expect(row?.split('|')[2]?.trim(), endpoint).toBe(r.transaction === null ? '(none)' : r.transaction === 'the one named' ? 'the one named' : `\`${r.transaction}\``);
    }
    await app.close();
  });
});
