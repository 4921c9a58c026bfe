// Config files for the benchmarks, written as YAML text and read through the real loader, so the
// figures include what a user's config costs (normalization, validation), not a hand-built object.
import { parseConfig, type Config } from '../config/index.js';

export const TRANSACTIONS = ['topup', 'balance_query', 'bill_query', 'plan_change', 'data_addon', 'profile_update', 'other_query'] as const;

export interface BenchConfigOptions {
  /** Base URL every channel points at (the local target). */
  targetUrl: string;
  /** How many checks; channels are added (seven transactions each) until there are this many. */
  checks: number;
  /** `single`: one GET with the business-code check; `three`: login → act → verify with extraction. */
  flow: 'single' | 'three';
  interval?: string;
  timeout?: string;
  location?: string;
  concurrency?: number;
}

export function channelName(index: number): string {
  return `ch${String(index).padStart(4, '0')}`;
}

/** Number of channels needed for `checks` checks at seven transactions per channel. */
export function channelsFor(checks: number): number {
  return Math.max(1, Math.ceil(checks / TRANSACTIONS.length));
}

export function benchConfigText(o: BenchConfigOptions): string {
  const channels = channelsFor(o.checks);
  const lines: string[] = [
    'version: 1',
    `service: { listen: "127.0.0.1:0", location: ${o.location ?? 'bench'}, concurrency: ${o.concurrency ?? 64} }`,
    'tiers:',
    '  core: { objective: 0.9998 }',
    '  noncore: { objective: 0.94 }',
    'backends: { billing: {}, crm: {} }',
    'channels:',
  ];
  for (let c = 0; c < channels; c++) {
    lines.push(`  ${channelName(c)}: { transport: http, baseUrl: "${o.targetUrl}/${channelName(c)}", businessCode: { path: $.code, success: ["0000"] } }`);
  }
  lines.push('transactions:');
  TRANSACTIONS.forEach((t, i) => lines.push(`  ${t}: { tier: ${i < 4 ? 'core' : 'noncore'}, backends: [${i < 4 ? 'billing' : 'crm'}] }`));
  lines.push('accounts:', '  bench:');
  for (let a = 0; a < 256; a++) lines.push(`    - { msisdn: "139${String(a).padStart(8, '0')}" }`);
  lines.push('flows:');
  for (const t of TRANSACTIONS) {
    lines.push(`  ${t}:`);
    if (o.flow === 'single') {
      lines.push('    steps:', '      - name: query', '        request: { url: "{{channel.baseUrl}}/query" }');
      continue;
    }
    lines.push(
      '    accountPool: bench',
      '    steps:',
      '      - name: login',
      '        request: { method: POST, url: "{{channel.baseUrl}}/login", json: { msisdn: "{{account.msisdn}}", pin: "{{account.pin}}" } }',
      '        extract: { token: $.data.token }',
      '      - name: act',
      '        request: { method: POST, url: "{{channel.baseUrl}}/act", headers: { authorization: "Bearer {{vars.token}}" }, json: { orderId: "{{run.id}}", amount: 1 } }',
      '        extract: { orderId: $.data.orderId }',
      '      - name: verify',
      '        request: { url: "{{channel.baseUrl}}/act/{{vars.orderId}}", headers: { authorization: "Bearer {{vars.token}}" } }',
      '        assert: { json: [{ path: $.data.status, equals: DONE }] }',
    );
  }
  lines.push(`checkDefaults: { interval: ${o.interval ?? '30s'}, timeout: ${o.timeout ?? '10s'} }`, 'checks:');
  // Whole channels as one matrix, as an operator writes thousands of checks (a line per check
  // would pass the config's token limit, docs/config.md "Limits"); the rest one check a line.
  const whole = Math.floor(o.checks / TRANSACTIONS.length);
  if (whole > 0) lines.push(`  - channels: [${Array.from({ length: whole }, (_, c) => channelName(c)).join(', ')}]`, '    transactions: "*"');
  for (const t of TRANSACTIONS.slice(0, o.checks - whole * TRANSACTIONS.length)) lines.push(`  - { channel: ${channelName(whole)}, transaction: ${t} }`);
  return `${lines.join('\n')}\n`;
}

export function benchConfig(o: BenchConfigOptions): Config {
  return parseConfig(benchConfigText(o), `bench-${o.flow}-${o.checks}.yaml`);
}
