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

export async function stepRows(
  client: PrometheusClient,
  rangeSeconds: number,
  endSeconds: number,
  previousEndSeconds: number,
  config: Config | null,
): Promise<{ steps: StepFailureRow[]; codes: BusinessCodeRow[]; realCodes: BusinessCodeRow[] }> {
  const stepKey = ['transaction', 'step', 'reason'] as const;
  const codeKey = ['code', 'transaction', 'step'] as const;
  const realCodeKey = ['code', 'transaction'] as const;
  const stepQuery = countedQuery(SERIES.stepFailures, ['channel', ...stepKey], rangeSeconds);
  const codeQuery = countedQuery(SERIES.businessErrors, ['channel', ...codeKey], rangeSeconds);
  const realCodeQuery = countedQuery(SERIES.realBusinessErrors, ['channel', ...realCodeKey], rangeSeconds);
  const [steps, stepsBefore, codes, codesBefore, realCodes, realCodesBefore] = await Promise.all([
    client.instant(stepQuery, endSeconds),
    client.instant(stepQuery, previousEndSeconds),
    client.instant(codeQuery, endSeconds),
    client.instant(codeQuery, previousEndSeconds),
    client.instant(realCodeQuery, endSeconds),
    client.instant(realCodeQuery, previousEndSeconds),
  ]);
  const prevSteps = previousOf(stepsBefore, stepKey);
  const prevCodes = previousOf(codesBefore, codeKey);
  const prevRealCodes = previousOf(realCodesBefore, realCodeKey);
  const meaning = meanings(config);
  return {
    steps: rank(steps, stepKey)
      .slice(0, STEP_ROWS)
      .map((r) => {
        const [transaction, step, reason] = r.key as [string, string, string];
        return { transaction, step, reason, failures: r.failures, byChannel: r.byChannel, previousFailures: prevSteps.get(r.key.join('\u0000')) ?? 0 };
      }),
    codes: rank(codes, codeKey)
      .slice(0, STEP_ROWS)
      .map((r) => {
        const [code, transaction, step] = r.key as [string, string, string];
        return { code, meaning: meaning.get(code) ?? null, transaction, step, failures: r.failures, byChannel: r.byChannel, previousFailures: prevCodes.get(r.key.join('\u0000')) ?? 0 };
      }),
    realCodes: rank(realCodes, realCodeKey)
      .slice(0, STEP_ROWS)
      .map((r) => {
        const [code, transaction] = r.key as [string, string];
        return { code, meaning: meaning.get(code) ?? null, transaction, step: null, failures: r.failures, byChannel: r.byChannel, previousFailures: prevRealCodes.get(r.key.join('\u0000')) ?? 0 };
      }),
  };
}
