// A small config and ProbeResult factory shared by the ingest and agent tests.
import { randomUUID } from 'node:crypto';
import { parseConfig, type Config } from '../../config/index.js';
import type { ProbeResult } from '../../synthetic/result.js';

export const TOKEN = 'test-ingest-token-0123456789';

export const INGEST_CONFIG_YAML = `
version: 1
service: { location: dc1 }
tiers:
  core: { objective: 0.9998 }
  noncore: { objective: 0.94 }
backends:
  billing: {}
channels:
  web: { transport: http, baseUrl: "http://127.0.0.1:9/web", businessCode: { path: $.code, success: ["0000"], errors: { "5101": billing down } } }
  app: { transport: http, baseUrl: "http://127.0.0.1:9/app" }
transactions:
  balance_query: { tier: core, backends: [billing], latencyThresholdMs: 1000 }
  other_query: { tier: noncore, backends: [billing] }
flows:
  balance_query:
    steps:
      - { name: login, request: { url: "{{channel.baseUrl}}/login" } }
      - { name: balance, request: { url: "{{channel.baseUrl}}/balance" } }
  other_query:
    steps:
      - { name: points, request: { url: "{{channel.baseUrl}}/points" } }
checks:
  - { channels: [web, app], transactions: [balance_query, other_query] }
ingest:
  token: { env: CH_TEST_INGEST_TOKEN }
  allowedLocations: [dc1, store_net]
  maxBatch: 50
  maxBodyBytes: 65536
`;

export function ingestConfig(extra = ''): Config {
  return parseConfig(INGEST_CONFIG_YAML + extra, '/tmp/ingest-test.yaml');
}

export function probeResult(over: Partial<ProbeResult> = {}): ProbeResult {
  const startedAt = Date.now() - 1000;
  return {
    version: 1,
    id: randomUUID().replace(/-/g, ''),
    checkId: 'web.balance_query',
    channel: 'web',
    transaction: 'balance_query',
    tier: 'core',
    location: 'dc1',
    trigger: 'schedule',
    scheduledAt: startedAt,
    startedAt,
    durationMs: 120,
    ok: true,
    reason: null,
    failedStep: null,
    detail: null,
    cleanupFailed: false,
    steps: [
      { name: 'login', ok: true, skipped: false, always: false, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: null, reason: null, detail: null },
      { name: 'balance', ok: true, skipped: false, always: false, durationMs: 70, connectMs: 0, ttfbMs: 60, status: 200, businessCode: null, reason: null, detail: null },
    ],
    ...over,
  };
}

/** One sample's value from a text exposition; labels given must all match. */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const head = line.slice(0, line.lastIndexOf(' '));
    if (want.every((w) => head.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Sum of every sample of a metric whose labels include those given. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const head = line.slice(0, line.lastIndexOf(' '));
    if (want.every((w) => head.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The series (name and labels, without values) of a text exposition. */
export function seriesSet(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .sort();
}
