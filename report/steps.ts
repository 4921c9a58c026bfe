// Where probe runs fail: the failing steps and the business codes they answered, ranked over the
// period with the previous period beside them (docs/report.md, "Failing steps and codes").
import type { Config } from '../config/index.js';
import { round, sortKeys } from './figures.js';
import type { BusinessCodeRow, StepFailureRow } from './model.js';
import type { InstantSample, PrometheusClient } from './prometheus.js';
import { countedQuery, SERIES } from './queries.js';

/** Rows each ranking keeps: a review reads the head of the list, the JSON has the same cut. */
export const STEP_ROWS = 10;

export const STEPS_METHOD =
  `Counted from ${SERIES.stepFailures}, ${SERIES.businessErrors} and ${SERIES.realBusinessErrors}: the last value in the period minus the value at its start ` +
  '(a series first created inside the period counts from 0; a series that reset falls back to increase()). ' +
  'Compensating steps count too, so a run can have more than one failing step. Codes the config does not list under businessCode.errors are counted as "other".';

interface Ranked {
  key: string[];
  failures: number;
  byChannel: Record<string, number>;
}

/** Sums samples by the key labels, with a per-channel breakdown; most failures first, ties by key. */
function rank(samples: readonly InstantSample[], keyLabels: readonly string[]): Ranked[] {
  const by = new Map<string, Ranked>();
  for (const s of samples) {
    const key = keyLabels.map((l) => s.labels[l] ?? '');
    const channel = s.labels.channel;
    if (key.some((k) => k === '') || !channel || !Number.isFinite(s.value) || s.value <= 0) continue;
    const id = key.join('\u0000');
    const row = by.get(id) ?? { key, failures: 0, byChannel: {} };
    row.failures = round(row.failures + s.value);
    row.byChannel[channel] = round((row.byChannel[channel] ?? 0) + s.value);
    by.set(id, row);
  }
  return [...by.values()]
    .map((r) => ({ ...r, byChannel: sortKeys(r.byChannel) }))
    .sort((a, b) => b.failures - a.failures || (a.key.join('\u0000') < b.key.join('\u0000') ? -1 : 1));
}

function previousOf(samples: readonly InstantSample[], keyLabels: readonly string[]): Map<string, number> {
  return new Map(rank(samples, keyLabels).map((r) => [r.key.join('\u0000'), r.failures]));
}

/** Meaning of each code, from the first channel (in config order) that lists it. */
function meanings(config: Config | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of config?.channels ?? []) {
    for (const [code, meaning] of Object.entries(c.businessCode?.errors ?? {})) if (!out.has(code)) out.set(code, meaning);
  }
  return out;
}

/** The STEP_ROWS key tuples of `metric` with the most failures, with their previous-period figures. */
async function top(
  client: PrometheusClient,
  metric: string,
  keyLabels: readonly string[],
  range: { seconds: number; end: number; previousEnd: number },
): Promise<Array<{ labels: Record<string, string>; failures: number; byChannel: Record<string, number>; previousFailures: number }>> {
  const query = countedQuery(metric, ['channel', ...keyLabels], range.seconds);
  const [now, before] = await Promise.all([client.instant(query, range.end), client.instant(query, range.previousEnd)]);
  const previous = previousOf(before, keyLabels);
  return rank(now, keyLabels)
    .slice(0, STEP_ROWS)
    .map((r) => ({
      labels: Object.fromEntries(keyLabels.map((l, i) => [l, r.key[i] as string])),
      failures: r.failures,
      byChannel: r.byChannel,
      previousFailures: previous.get(r.key.join('\u0000')) ?? 0,
    }));
}

export async function stepRows(
  client: PrometheusClient,
  rangeSeconds: number,
  endSeconds: number,
  previousEndSeconds: number,
  config: Config | null,
): Promise<{ steps: StepFailureRow[]; codes: BusinessCodeRow[]; realCodes: BusinessCodeRow[] }> {
  const range = { seconds: rangeSeconds, end: endSeconds, previousEnd: previousEndSeconds };
  const [steps, codes, realCodes] = await Promise.all([
    top(client, SERIES.stepFailures, ['transaction', 'step', 'reason'], range),
    top(client, SERIES.businessErrors, ['code', 'transaction', 'step'], range),
    top(client, SERIES.realBusinessErrors, ['code', 'transaction'], range),
  ]);
  const meaning = meanings(config);
  const figures = (r: (typeof steps)[number]) => ({ failures: r.failures, byChannel: r.byChannel, previousFailures: r.previousFailures });
  const code = (r: (typeof steps)[number]) => ({ code: r.labels.code as string, meaning: meaning.get(r.labels.code as string) ?? null, transaction: r.labels.transaction as string });
  return {
    steps: steps.map((r) => ({ transaction: r.labels.transaction as string, step: r.labels.step as string, reason: r.labels.reason as string, ...figures(r) })),
    codes: codes.map((r) => ({ ...code(r), step: r.labels.step as string, ...figures(r) })),
    realCodes: realCodes.map((r) => ({ ...code(r), step: null, ...figures(r) })),
  };
}
