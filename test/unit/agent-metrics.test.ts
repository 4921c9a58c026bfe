// The agent's /metrics: produced survives restarts, pending per collector, the safety gauges an
// agent that tops up accounts must show, and nothing Prometheus' linter objects to.
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../collector/metrics.js';
import { valueOf } from '../support/ingest-fixtures.js';

const A = 'http://collector-a:9470';
const B = 'https://collector-b.example:9470';

describe('agent metrics', () => {
  it('resume the produced count, track pending and pushes per collector, and pass promtool check metrics', async () => {
    const registry = new Registry();
    const waits: Record<string, number | null> = { [A]: 12.5, [B]: null };
    const m = createAgentMetrics(registry, {
      version: '1.2.3',
      collectors: [A, B],
      producedBefore: 41,
      oldestPendingAgeSeconds: (c) => waits[c] ?? null,
      journal: () => ({ intended: 1, done: 0, flagged: 2 }),
      breakers: () => [{ channel: 'web', transaction: 'topup', location: 'edge_a', open: true }],
    });
    m.countProduced(1);
    m.setPending(A, 3);
    m.countPush(A, 'failed');
    m.countRefused(B, 2);
    const text = await registry.metrics();
    expect(valueOf(text, 'channel_health_agent_results_total')).toBe(42);
    expect(valueOf(text, 'channel_health_agent_spool_pending', { collector: A })).toBe(3);
    expect(valueOf(text, 'channel_health_agent_spool_pending', { collector: B })).toBe(0);
    expect(valueOf(text, 'channel_health_agent_pushes_total', { collector: A, outcome: 'failed' })).toBe(1);
    expect(valueOf(text, 'channel_health_agent_pushes_total', { collector: B, outcome: 'ok' })).toBe(0);
    expect(valueOf(text, 'channel_health_agent_results_refused_total', { collector: B })).toBe(2);
    expect(valueOf(text, 'channel_health_agent_oldest_pending_age_seconds', { collector: A })).toBe(12.5);
    expect(valueOf(text, 'channel_health_agent_oldest_pending_age_seconds', { collector: B })).toBe(0);
    expect(valueOf(text, 'channel_health_journal_pending', { state: 'flagged' })).toBe(2);
    expect(valueOf(text, 'channel_health_probe_breaker_open', { channel: 'web', transaction: 'topup', location: 'edge_a' })).toBe(1);
    expect(valueOf(text, 'channel_health_build_info', { version: '1.2.3' })).toBe(1);
    // Probe outcomes are the collectors' to export; an agent exporting them too would double sums.
    expect(text).not.toContain('channel_health_probe_runs_total');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  });

  it('leave the journal gauge out when no check moves money', async () => {
    const registry = new Registry();
    createAgentMetrics(registry, { version: 't', collectors: [A], producedBefore: 0, oldestPendingAgeSeconds: () => null });
    expect(await registry.metrics()).not.toContain('channel_health_journal_pending');
  });
});
