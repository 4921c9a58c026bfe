// The cached /metrics renderer: byte-for-byte prom-client's own text after any sequence of
// updates, one rendering shared by concurrent scrapes, nothing re-rendered when nothing changed,
// and the event loop given back while a large registry is rendered.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createExposition } from '../../collector/exposition.js';
import { createMetrics } from '../../collector/metrics.js';
import { parseConfig } from '../../config/index.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { REPO_ROOT } from '../support/processes.js';

// Label values that exercise prom-client's escaping (quotes, backslashes, newlines, non-ASCII).
const labelValue = fc.constantFrom('a', 'x"y', 'back\\slash', 'new\nline', '余额');
const value = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 0.1, 1e-9, 2.5));
const positive = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));

type Op =
  | { op: 'inc'; m: number; a: string; b: string; v: number }
  | { op: 'set'; m: number; a: string; b: string; v: number; swapped: boolean }
  | { op: 'dec'; m: number; a: string; b: string; v: number }
  | { op: 'observe'; m: number; a: string; b: string; v: number }
  | { op: 'zero'; m: number; a: string; b: string }
  | { op: 'remove'; m: number; a: string; b: string }
  | { op: 'reset'; m: number }
  | { op: 'register'; kind: 'counter' | 'gauge' | 'histogram' }
  | { op: 'defaultLabels'; v: string }
  | { op: 'render' };

const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('inc' as const), m: fc.nat(9), a: labelValue, b: labelValue, v: positive }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), m: fc.nat(9), a: labelValue, b: labelValue, v: fc.oneof(value, fc.constantFrom(Infinity, -Infinity, NaN)), swapped: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dec' as const), m: fc.nat(9), a: labelValue, b: labelValue, v: positive }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('observe' as const), m: fc.nat(9), a: labelValue, b: labelValue, v: value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('zero' as const), m: fc.nat(9), a: labelValue, b: labelValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), m: fc.nat(9), a: labelValue, b: labelValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), m: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('register' as const), kind: fc.constantFrom('counter' as const, 'gauge' as const, 'histogram' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('defaultLabels' as const), v: labelValue }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('render' as const) }) },
);

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string> | Summary<string>;

/** A registry with every kind of family the renderer treats differently. */
function fixture() {
  const registry = new Registry();
  let collected = 0;
  const metrics: AnyMetric[] = [
    new Counter({ name: 'c_labelled_total', help: 'counter with labels', labelNames: ['a', 'b'], registers: [registry] }),
    new Counter({ name: 'c_plain_total', help: 'counter without labels', registers: [registry] }),
    new Gauge({ name: 'g_labelled', help: 'gauge with "quotes" and \\ in help\nand a newline', labelNames: ['a', 'b'], registers: [registry] }),
    new Gauge({ name: 'g_plain', help: 'gauge without labels', registers: [registry] }),
    new Histogram({ name: 'h_labelled_seconds', help: 'histogram with labels', labelNames: ['a', 'b'], buckets: [0.01, 0.5, 1, 2.5, 10], registers: [registry] }),
    new Histogram({ name: 'h_plain_seconds', help: 'histogram without labels', buckets: [1, 5], registers: [registry] }),
    // Read at scrape time: always rendered whole.
    new Gauge({
      name: 'g_collected',
      help: 'gauge read at every scrape',
      labelNames: ['a'],
      registers: [registry],
      collect() {
        collected += 1;
        this.set({ a: String(collected % 3) }, collected);
      },
    }),
    new Summary({ name: 's_labelled', help: 'summary (not cached)', labelNames: ['a'], percentiles: [0.5, 0.9], registers: [registry] }),
    new Counter({ name: 'c_one_label_total', help: 'counter with one label', labelNames: ['a'], registers: [registry] }),
    new Histogram({ name: 'h_one_label_seconds', help: 'histogram with one label', labelNames: ['a'], buckets: [0.1], registers: [registry] }),
  ];
  return { registry, metrics };
}

function apply(registry: Registry, metrics: AnyMetric[], op: Op, serial: { n: number }): void {
  if (op.op === 'render') return;
  if (op.op === 'register') {
    serial.n += 1;
    const name = `added_${serial.n}`;
    const config = { name: op.kind === 'counter' ? `${name}_total` : name, help: `registered later ${serial.n}`, labelNames: ['a', 'b'], registers: [registry] };
    metrics.push(op.kind === 'counter' ? new Counter(config) : op.kind === 'gauge' ? new Gauge(config) : new Histogram({ ...config, buckets: [1, 2] }));
    return;
  }
  if (op.op === 'defaultLabels') {
    registry.setDefaultLabels(op.v === '' ? {} : { instance: op.v });
    return;
  }
  const metric = metrics[op.m % metrics.length] as AnyMetric;
  const names = (metric as unknown as { labelNames: string[] }).labelNames;
  const labels = (a: string, b: string): Record<string, string> => {
    const all: Record<string, string> = { a, b };
    return Object.fromEntries(names.map((n) => [n, all[n] as string]));
  };
  if (op.op === 'reset') return metric.reset();
  const l = labels(op.a, op.b);
  if (op.op === 'remove') {
    if (names.length > 0) metric.remove(l);
    return;
  }
  if (metric instanceof Counter) {
    if (op.op === 'inc') metric.inc(l, op.v);
    else if (op.op === 'zero') metric.inc(l, 0);
  } else if (metric instanceof Gauge) {
    // The same label set, its keys given in the other order: prom-client writes them as given.
    if (op.op === 'set') metric.set(op.swapped ? Object.fromEntries(Object.entries(l).reverse()) : l, op.v);
    else if (op.op === 'inc') metric.inc(l, op.v);
    else if (op.op === 'dec') metric.dec(l, op.v);
  } else if (metric instanceof Histogram) {
    if (op.op === 'observe') metric.observe(l, op.v);
    else if (op.op === 'zero') metric.zero(l);
  } else if (op.op === 'observe') {
    metric.observe(l, op.v);
  }
}

describe('cached exposition', () => {
  it('equals prom-client’s own rendering after any sequence of updates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ops, { minLength: 1, maxLength: 60 }),
        fc.record({ blockLines: fc.integer({ min: 1, max: 20 }), batchLines: fc.integer({ min: 1, max: 40 }), sliceMs: fc.constantFrom(0, 5) }),
        async (sequence, options) => {
          const { registry, metrics } = fixture();
          const exposition = createExposition(registry, options);
          const serial = { n: 0 };
          for (const op of [...sequence, { op: 'render' as const }]) {
            apply(registry, metrics, op, serial);
            if (op.op !== 'render') continue;
            const ours = (await exposition.render()).text();
            // prom-client renders after us: the collect-bearing gauge has moved on by one, so the
            // cached renderer is compared with a registry whose collect has just run the same way.
            expect(ours).toBe(await reference(registry));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('equals prom-client’s rendering of the shipped config’s metrics after results of every kind', async () => {
    const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
    const registry = new Registry();
    const metrics = createMetrics(registry, config, { version: '1.2.3', clock: () => 1_700_000_000_000 });
    const exposition = createExposition(registry);
    expect((await exposition.render()).text()).toBe(await registry.metrics());
    for (const [i, check] of config.checks.entries()) {
      const ok = i % 3 !== 0;
      const result: ProbeResult = {
        version: 1, id: `r${i}`, checkId: check.id, channel: check.channel, transaction: check.transaction, tier: check.tier, location: i % 2 ? 'local' : 'remote',
        trigger: 'schedule', scheduledAt: 1_700_000_000_000, startedAt: 1_700_000_000_000 + i, durationMs: 37 * i, ok,
        reason: ok ? null : 'business_error', failedStep: ok ? null : (check.steps[0]?.name ?? null), detail: ok ? null : 'code 5101', cleanupFailed: false,
        steps: check.steps.map((s, k) => ({ name: s.name, ok: ok || k > 0, skipped: false, always: s.always, durationMs: 11 * k + i, connectMs: 1, ttfbMs: 2, status: 200, businessCode: ok || k > 0 ? '0000' : '5101', reason: ok || k > 0 ? null : 'business_error', detail: null })),
      };
      metrics.recordResult(result);
      metrics.recordEvent({ channel: check.channel, transaction: check.transaction, ok, reason: ok ? null : 'business_error', code: ok ? null : '5101' });
      if (i % 5 === 0) expect((await exposition.render()).text()).toBe(await registry.metrics());
    }
    expect((await exposition.render()).text()).toBe(await registry.metrics());
  });

  it('renders nothing again for an unchanged registry, and only what changed after a result', async () => {
    const { registry, metrics } = fixture();
    const [counter, , , , histogram] = metrics as [Counter<string>, unknown, unknown, unknown, Histogram<string>];
    for (let i = 0; i < 500; i++) {
      counter.inc({ a: `a${i}`, b: 'x' });
      histogram.observe({ a: `a${i}`, b: 'x' }, i / 100);
    }
    const exposition = createExposition(registry);
    const first = await exposition.render();
    expect(exposition.lastStats?.rendered).toBeGreaterThanOrEqual(1000);
    expect(first.text()).toBe(await reference(registry));
    const second = await exposition.render();
    // Only the gauge read at scrape time moved, and it is rendered whole.
    expect(exposition.lastStats).toMatchObject({ rendered: 0, freshFamilies: 2, reused: false });
    expect(second.text()).toBe(await reference(registry));
    counter.inc({ a: 'a7', b: 'x' });
    histogram.observe({ a: 'a8', b: 'x' }, 3);
    const third = await exposition.render();
    expect(exposition.lastStats?.rendered).toBe(2);
    expect(third.text()).toBe(await reference(registry));
  });

  it('drops removed series (the last one, one in the middle) and reset families', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['a'], registers: [registry] });
    const h = new Histogram({ name: 'y_seconds', help: 'y', labelNames: ['a'], buckets: [1], registers: [registry] });
    for (const a of ['1', '2', '3']) {
      c.inc({ a });
      h.observe({ a }, 0.5);
    }
    const exposition = createExposition(registry, { blockLines: 2 });
    const check = async () => expect((await exposition.render()).text()).toBe(await registry.metrics());
    await check();
    c.remove({ a: '3' });
    await check();
    c.remove({ a: '1' });
    h.remove({ a: '2' });
    await check();
    h.reset();
    await check();
    c.reset();
    c.inc({ a: '4' });
    await check();
  });

  it('reuses the body of an unchanged registry without collect functions', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['a'], registers: [registry] });
    c.inc({ a: '1' });
    const exposition = createExposition(registry);
    const first = await exposition.render();
    expect(await exposition.render()).toBe(first);
    expect(exposition.lastStats).toMatchObject({ rendered: 0, reused: true });
    c.inc({ a: '1' });
    const after = await exposition.render();
    expect(after).not.toBe(first);
    expect(after.text()).toBe(await registry.metrics());
  });

  it('shares one rendering between scrapes that arrive while it runs', async () => {
    const { registry, metrics } = fixture();
    (metrics[0] as Counter<string>).inc({ a: 'a', b: 'b' });
    const exposition = createExposition(registry);
    const scrapes = Array.from({ length: 20 }, () => exposition.render());
    const bodies = await Promise.all(scrapes);
    for (const b of bodies) expect(b).toBe(bodies[0]);
    // One rendering ran the collect function once: prom-client's next rendering sees its second call.
    expect(bodies[0]?.text()).toContain('g_collected{a="1"} 1');
  });

  it('gives the event loop back while it renders a large registry', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'big_seconds', help: 'big', labelNames: ['a'], buckets: [0.1, 0.2, 0.5, 1, 2, 5, 10], registers: [registry] });
    for (let i = 0; i < 5000; i++) h.observe({ a: `series-${i}` }, i / 1000);
    const exposition = createExposition(registry, { sliceMs: 1 });
    let timerFired = false;
    setTimeout(() => (timerFired = true), 0);
    const rendering = exposition.render().then((b) => ({ b, timerFiredBefore: timerFired }));
    const { b, timerFiredBefore } = await rendering;
    expect(exposition.lastStats?.yields).toBeGreaterThan(0);
    expect(timerFiredBefore).toBe(true);
    expect(b.text()).toBe(await registry.metrics());
  });

  it('renders an OpenMetrics registry as prom-client does', async () => {
    const registry = new Registry<'application/openmetrics-text; version=1.0.0; charset=utf-8'>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'om_total', help: 'om', registers: [registry] }).inc(2);
    const exposition = createExposition(registry as unknown as Registry);
    expect((await exposition.render()).text()).toBe(await registry.metrics());
  });
});

/**
 * prom-client's text for the registry as the renderer just saw it. The collect-bearing gauge
 * moves at every rendering, so its family is taken from the renderer's own call: the reference
 * runs prom-client with that collect function switched off once.
 */
async function reference(registry: Registry): Promise<string> {
  const collected = registry.getSingleMetric('g_collected') as unknown as { collect?: () => void } | undefined;
  if (!collected) return registry.metrics();
  const collect = collected.collect;
  collected.collect = undefined;
  try {
    return await registry.metrics();
  } finally {
    collected.collect = collect;
  }
}
