// The /metrics body, rendered by prom-client but only for what changed since the last scrape.
//
// prom-client re-serialises every series of the registry on each scrape: for a histogram it makes
// an object per bucket, then formats every label set again (docs/performance.md, "Scrape cost").
// Here each series' text is kept with the value it was rendered from; a scrape walks the series
// (a pointer and a number compared per series), renders again only the ones whose value, labels
// or identity changed, and re-encodes only the blocks of the body that hold them. Metrics with a
// `collect` function (read at scrape time), metric types without a plain value map (summaries)
// and exemplars are rendered whole by prom-client at every scrape, as before.
//
// A changed series is written in prom-client's exact format without the objects prom-client
// makes per bucket (histogramLines, valueLine below); when the registry has default labels,
// prom-client renders it itself, on a view of its metric holding just the changed series. Either
// way the text is byte-for-byte what `registry.metrics()` returns: test/unit/exposition.test.ts
// checks both after arbitrary updates.
//
// Concurrent scrapes share one rendering in flight, and a rendering gives the event loop back
// every `sliceMs` (setImmediate), so probe timers and probe sockets are served between slices.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ExpositionOptions {
  /** Longest stretch of rendering (ms) before the event loop is given back. */
  sliceMs?: number;
  /** Lines per cached block of the body: a changed series re-encodes its block only. */
  blockLines?: number;
  /** Lines rendered per call into prom-client (a histogram series is its buckets + 3 lines). */
  batchLines?: number;
}

export const EXPOSITION_DEFAULTS = Object.freeze({ sliceMs: 5, blockLines: 256, batchLines: 512 });

/** A registered metric, as the registry lists it. */
type Metric = object & { name: string };

/**
 * prom-client's own renderer of one metric family (Registry#getMetricsAsString: public in the
 * library, absent from its type declarations). The exposition test fails if it changes.
 */
function renderFamily(registry: Registry, metric: Metric): Promise<string> {
  return (registry as unknown as { getMetricsAsString(m: Metric): Promise<string> }).getMetricsAsString(metric);
}

export interface RenderStats {
  /** Series (value-map entries; a histogram's label set counts once) walked in this rendering. */
  entries: number;
  /** Of those, the ones prom-client rendered again. */
  rendered: number;
  /** Metric families rendered whole by prom-client (collect functions, summaries). */
  freshFamilies: number;
  /** Times the rendering gave the event loop back. */
  yields: number;
  /** True when the body is the previous one, reused as it was. */
  reused: boolean;
}

/** The body of one scrape: one buffer, written to every scraper that shares it. */
export interface ExpositionBody {
  readonly buffer: Buffer;
  /** The blocks it was joined from (compared, by identity, with the next rendering's). */
  readonly chunks: readonly Buffer[];
  /** The whole text (tests). */
  text(): string;
}

export interface Exposition {
  readonly contentType: string;
  /** The body of one scrape; callers during a rendering share it. */
  render(): Promise<ExpositionBody>;
  /** What the last finished rendering did (for the bench and tests). */
  readonly lastStats: RenderStats | null;
}

/** One value-map entry as prom-client keeps it: counters and gauges hold `value`, histograms `count` and `sum`. */
interface Entry {
  labels: Record<string, string | number>;
  value?: number;
  count?: number;
  sum?: number;
}

interface Slot {
  entry: Entry;
  labels: Entry['labels'];
  a: number | undefined;
  b: number | undefined;
  /** `\n`-prefixed lines of this series. */
  text: string;
}

interface CachedFamily {
  kind: 'cached';
  metric: Metric;
  /** Lines prom-client writes per value-map entry (1, or a histogram's buckets + 3). */
  linesPerEntry: number;
  header: Buffer;
  slots: Slot[];
  blocks: Buffer[];
  /** The value map the slots were read from (reset() replaces it). */
  map: object | null;
}

interface FreshFamily {
  kind: 'fresh';
  metric: Metric;
}

type Family = CachedFamily | FreshFamily;

const FAMILY_GAP = Buffer.from('\n\n');
const FINAL_NEWLINE = Buffer.from('\n');

/**
 * A cached renderer over `registry`. Metrics registered later are picked up at the next scrape;
 * an OpenMetrics registry is rendered by prom-client as a whole (its counters are renamed at
 * render time).
 */
export function createExposition(registry: Registry, options: ExpositionOptions = {}): Exposition {
  const o = { ...EXPOSITION_DEFAULTS, ...options };
  const families = new Map<Metric, Family>();
  let defaultLabels: unknown = defaultLabelsOf(registry);
  let previous: ExpositionBody | null = null;
  let inFlight: Promise<ExpositionBody> | null = null;
  let lastStats: RenderStats | null = null;

  const renderOnce = async (): Promise<ExpositionBody> => {
    if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return bodyOf([Buffer.from(await registry.metrics())]);
    const stats: RenderStats = { entries: 0, rendered: 0, freshFamilies: 0, yields: 0, reused: false };
    let sliceStart = performance.now();
    const yieldIfDue = async () => {
      if (performance.now() - sliceStart < o.sliceMs) return;
      stats.yields += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    };
    // Default labels are written into every line: a change makes every cached line stale.
    const labelsNow = defaultLabelsOf(registry);
    if (labelsNow !== defaultLabels) {
      families.clear();
      defaultLabels = labelsNow;
    }
    const metrics = registry.getMetricsAsArray() as unknown as Metric[];
    const seen = new Set<Metric>();
    const parts: Buffer[] = [];
    for (const [i, metric] of metrics.entries()) {
      seen.add(metric);
      let family = families.get(metric);
      if (!family) {
        family = familyOf(metric);
        families.set(metric, family);
      }
      if (i > 0) parts.push(FAMILY_GAP);
      if (family.kind === 'fresh') {
        stats.freshFamilies += 1;
        parts.push(Buffer.from(await renderFamily(registry, metric)));
      } else {
        await refresh(registry, family, o, stats, yieldIfDue);
        parts.push(family.header, ...family.blocks);
      }
      await yieldIfDue();
    }
    for (const metric of families.keys()) if (!seen.has(metric)) families.delete(metric);
    parts.push(FINAL_NEWLINE);
    // Nothing moved: the same body as before.
    const last = previous;
    if (last && last.chunks.length === parts.length && parts.every((p, i) => sameBytes(p, last.chunks[i] as Buffer))) {
      stats.reused = true;
      lastStats = stats;
      return last;
    }
    previous = bodyOf(parts);
    lastStats = stats;
    return previous;
  };

  return {
    contentType: registry.contentType,
    get lastStats() {
      return lastStats;
    },
    render() {
      if (inFlight) return inFlight;
      const rendering = renderOnce().finally(() => {
        inFlight = null;
      });
      inFlight = rendering;
      return rendering;
    },
  };
}

// One copy per rendering that changed something (a memcpy of the body), so each scrape is one
// write of one buffer: sending ~300 blocks as a stream cost twice the CPU per scrape.
function bodyOf(chunks: Buffer[]): ExpositionBody {
  const buffer = Buffer.concat(chunks);
  return { buffer, chunks, text: () => buffer.toString('utf8') };
}

/** Cached blocks are the same objects when unchanged; fresh families are compared by content. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a === b || (a.length === b.length && a.equals(b));
}

function defaultLabelsOf(registry: Registry): unknown {
  return (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
}

function valueMapOf(metric: Metric): Record<string, Entry> | null {
  const map = (metric as unknown as { hashMap?: unknown }).hashMap;
  return typeof map === 'object' && map !== null ? (map as Record<string, Entry>) : null;
}

function familyOf(metric: Metric): Family {
  const m = metric as unknown as { collect?: unknown; enableExemplars?: boolean; upperBounds?: readonly number[] };
  const plain = (metric instanceof Counter || metric instanceof Gauge || metric instanceof Histogram) && !m.collect && !m.enableExemplars && valueMapOf(metric) !== null;
  if (!plain) return { kind: 'fresh', metric };
  return {
    kind: 'cached',
    metric,
    linesPerEntry: metric instanceof Histogram ? (m.upperBounds?.length ?? 0) + 3 : 1,
    header: Buffer.alloc(0),
    slots: [],
    blocks: [],
    map: null,
  };
}

/**
 * Brings a family's slots and blocks up to date with its value map: series whose entry, labels
 * or value moved are rendered again (by prom-client, in batches), and the blocks holding them
 * are re-encoded.
 */
async function refresh(
  registry: Registry,
  family: CachedFamily,
  o: Required<ExpositionOptions>,
  stats: RenderStats,
  yieldIfDue: () => Promise<void>,
): Promise<void> {
  const map = valueMapOf(family.metric) as Record<string, Entry>;
  const entries = Object.values(map);
  stats.entries += entries.length;
  const isHistogram = family.linesPerEntry > 1;
  const changed: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry;
    const s = family.slots[i];
    const a = isHistogram ? e.count : e.value;
    const b = isHistogram ? e.sum : undefined;
    if (s && s.entry === e && s.labels === e.labels && Object.is(s.a, a) && Object.is(s.b, b)) continue;
    changed.push(i);
    family.slots[i] = { entry: e, labels: e.labels, a, b, text: '' };
  }
  const shrunk = family.slots.length > entries.length;
  family.slots.length = entries.length;
  if (family.header.length === 0) family.header = Buffer.from(headerOf(await renderFamily(registry, viewOf(family.metric, {}))));
  if (changed.length === 0 && !shrunk && family.map === map) return;
  family.map = map;

  const batchSeries = Math.max(1, Math.floor(o.batchLines / family.linesPerEntry));
  const ours = !hasDefaultLabels(registry);
  for (let start = 0; start < changed.length; start += batchSeries) {
    const batch = changed.slice(start, start + batchSeries);
    if (ours) {
      for (const i of batch) {
        const slot = family.slots[i] as Slot;
        slot.text = isHistogram ? histogramLines(family, slot.entry) : valueLine(family.metric.name, slot.entry);
      }
    } else {
      const subset: Record<string, Entry> = {};
      // Keys only need to be distinct: prom-client renders Object.values of the map in order.
      for (const [k, i] of batch.entries()) subset[`s${k}`] = (family.slots[i] as Slot).entry;
      const text = await renderFamily(registry, viewOf(family.metric, subset));
      const lines = text.split('\n').slice(2);
      if (lines.length !== batch.length * family.linesPerEntry) {
        throw new Error(`prom-client rendered ${lines.length} lines for ${batch.length} series of ${family.metric.name}; expected ${family.linesPerEntry} each`);
      }
      for (const [k, i] of batch.entries()) {
        let t = '';
        for (let l = k * family.linesPerEntry; l < (k + 1) * family.linesPerEntry; l++) t += `\n${lines[l] as string}`;
        (family.slots[i] as Slot).text = t;
      }
    }
    stats.rendered += batch.length;
    await yieldIfDue();
  }

  // Re-encode the blocks a changed series falls in (a removal moves, so changes, all after it).
  const blockSeries = Math.max(1, Math.floor(o.blockLines / family.linesPerEntry));
  const blockCount = Math.ceil(entries.length / blockSeries);
  const dirty = new Set(changed.map((i) => Math.floor(i / blockSeries)));
  for (let k = 0; k < blockCount; k++) {
    if (family.blocks[k] !== undefined && !dirty.has(k)) continue;
    let t = '';
    for (let i = k * blockSeries; i < Math.min(entries.length, (k + 1) * blockSeries); i++) t += (family.slots[i] as Slot).text;
    family.blocks[k] = Buffer.from(t);
    await yieldIfDue();
  }
  family.blocks.length = blockCount;
}

/** The metric as prom-client sees it, holding only `values`' series. */
function viewOf(metric: Metric, values: Record<string, Entry>): Metric {
  return Object.create(metric, { hashMap: { value: values } }) as Metric;
}

/** `# HELP` and `# TYPE` lines of a family rendered with no series. */
function headerOf(text: string): string {
  return text.split('\n').slice(0, 2).join('\n');
}

// prom-client's text for one series, written here without the objects prom-client makes per
// bucket (a third of a full render, and most of its garbage). Exactly its format: labels in the
// entry's own order, `le` first on a bucket line, label values escaped as prom-client escapes
// them, numbers as JavaScript prints them. Registries with default labels are left to prom-client
// (it merges them per line). test/unit/exposition.test.ts compares both paths with
// registry.metrics() byte for byte.

function hasDefaultLabels(registry: Registry): boolean {
  const labels = defaultLabelsOf(registry);
  return typeof labels === 'object' && labels !== null && Object.keys(labels).length > 0;
}

const labelTexts = new WeakMap<object, string>();

/** `a="x",b="y"` for an entry's labels (cached per labels object, as prom-client caches shared labels). */
function labelText(labels: Entry['labels']): string {
  let text = labelTexts.get(labels);
  if (text === undefined) {
    text = Object.entries(labels)
      .map(([name, value]) => `${name}="${typeof value === 'string' ? escapeText(value).replace(/"/g, '\\"') : value}"`)
      .join(',');
    labelTexts.set(labels, text);
  }
  return text;
}

function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

function valueLine(name: string, entry: Entry): string {
  const labels = labelText(entry.labels);
  return `\n${name}${labels === '' ? '' : `{${labels}}`} ${numberText(entry.value as number)}`;
}

function histogramLines(family: CachedFamily, entry: Entry): string {
  const m = family.metric as unknown as { name: string; upperBounds: readonly number[] };
  const e = entry as Entry & { bucketValues: Record<string, number> };
  const labels = labelText(entry.labels);
  const shared = labels === '' ? '' : `,${labels}`;
  let text = '';
  let acc = 0;
  for (const bound of m.upperBounds) {
    acc += e.bucketValues[bound] as number;
    text += `\n${m.name}_bucket{le="${bound}"${shared}} ${numberText(acc)}`;
  }
  const braces = labels === '' ? '' : `{${labels}}`;
  text += `\n${m.name}_bucket{le="+Inf"${shared}} ${numberText(entry.count as number)}`;
  text += `\n${m.name}_sum${braces} ${numberText(entry.sum as number)}`;
  text += `\n${m.name}_count${braces} ${numberText(entry.count as number)}`;
  return text;
}
