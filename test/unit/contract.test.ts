// contract/ is the one place metric and recording-rule names are written: what the registries
// serve, what the rule generator records and what docs/metrics.md lists must all be it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { generateRecordingRules, RATIO_WINDOWS_MS } from '../../alerts/index.js';
import { createAgentMetrics, createIngestMetrics, createMetrics, createReportMetrics, observeSmppBinds, tlsCertificateGauge } from '../../collector/metrics.js';
import { formatPromDuration, parseConfig } from '../../config/index.js';
import { renderRecordingRules } from '../../contract/docs.js';
import { METRICS, METRIC_PREFIX } from '../../contract/metrics.js';
import { RATIO_WINDOWS, RECORD, RECORDING_RULES, documentedName } from '../../contract/recording-rules.js';
import { REPO_ROOT } from '../support/processes.js';

const shipped = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
const metricsPage = readFileSync(path.join(REPO_ROOT, 'docs/metrics.md'), 'utf8');

/** Every metric each kind of process registers, together. */
function servedMetrics(): Array<{ name: string; help: string; labelNames: string[]; type: string }> {
  const registry = new Registry();
  const metrics = createMetrics(registry, shipped, { version: 't' });
  metrics.observeJournal(() => ({ intended: 0, done: 0, flagged: 0 }));
  metrics.observeBreakers(() => []);
  createIngestMetrics(registry, shipped, ['CH_INTERNAL']);
  observeSmppBinds(registry, ['sms'], 'local', () => new Set());
  tlsCertificateGauge(registry);
  createReportMetrics(registry);
  const agent = new Registry();
  createAgentMetrics(agent, { version: 't', collectors: ['http://c:9470'], producedBefore: 0, oldestPendingAgeSeconds: () => null, journal: () => ({ intended: 0, done: 0, flagged: 0 }), breakers: () => [] });
  const all = [...registry.getMetricsAsArray(), ...agent.getMetricsAsArray()];
  const seen = new Map<string, { name: string; help: string; labelNames: string[]; type: string }>();
  for (const m of all) {
    const o = m as unknown as { name: string; help: string; labelNames: string[] };
    const type = m instanceof Counter ? 'counter' : m instanceof Gauge ? 'gauge' : m instanceof Histogram ? 'histogram' : 'unknown';
    seen.set(o.name, { name: o.name, help: o.help, labelNames: [...o.labelNames], type });
  }
  return [...seen.values()];
}

describe('the metric contract', () => {
  it('is what the processes register: every name, type, label and help, nothing more, nothing less', () => {
    const served = servedMetrics().sort((a, b) => a.name.localeCompare(b.name));
    const declared = Object.values(METRICS)
      .map((m) => ({ name: m.name, help: m.help, labelNames: [...m.labelNames], type: m.type }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(served).toEqual(declared);
    for (const m of declared) expect(m.name.startsWith(METRIC_PREFIX), m.name).toBe(true);
  });

  it('is listed in docs/metrics.md with its type and labels', () => {
    for (const m of Object.values(METRICS)) {
      const row = metricsPage.split('\n').find((line) => line.startsWith(`| \`${m.name}\` |`));
      expect(row, `${m.name} has no row in docs/metrics.md`).toBeDefined();
      const [, , type, labels] = (row as string).split('|').map((c) => c.trim());
      expect(type, m.name).toBe(m.type);
      expect(labels, m.name).toBe(m.labelNames.join(', '));
    }
  });

  it('is the only place a metric name is spelled in the program (tests and bench aside)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        const rel = path.relative(REPO_ROOT, full);
        if (['node_modules', 'dist', 'test', 'bench', 'contract', '.git'].includes(rel) || entry.startsWith('.')) continue;
        if (statSync(full).isDirectory()) walk(full);
        else if (entry.endsWith('.ts') && /channel_health_[a-z]/.test(readFileSync(full, 'utf8'))) offenders.push(rel);
      }
    };
    walk(REPO_ROOT);
    expect(offenders).toEqual([]);
  });
});

describe('the recording-rule names', () => {
  const generated = generateRecordingRules(shipped).flatMap((g) => g.rules.map((r) => r.record));
  const pattern = (documented: string) => new RegExp(`^${documented.replace(/<[A-Z]>/, '[0-9]+[smhd]').replace(/[:.]/g, '\\$&')}$`);

  it('documents every name of RECORD once', () => {
    expect(RECORDING_RULES.map((r) => r.key).sort()).toEqual(Object.keys(RECORD).sort());
  });

  it('covers every rule the generator writes, and the generator writes every one', () => {
    const patterns = RECORDING_RULES.map((r) => ({ name: documentedName(r), re: pattern(documentedName(r)) }));
    for (const name of generated) expect(patterns.some((p) => p.re.test(name)), `${name} is not in contract/recording-rules.ts`).toBe(true);
    for (const p of patterns) expect(generated.some((name) => p.re.test(name)), `${p.name} is never generated`).toBe(true);
  });

  it('records ratios over the windows the contract names', () => {
    expect(RATIO_WINDOWS_MS.map(formatPromDuration)).toEqual([...RATIO_WINDOWS]);
    for (const w of RATIO_WINDOWS) expect(generated).toContain(RECORD.probeSuccessRatio(w));
  });

  it('are listed in docs/metrics.md as rendered from the contract (run `npm run docs` after changing it)', () => {
    expect(metricsPage).toContain(renderRecordingRules());
  });
});
