// A small client for the two Prometheus HTTP API calls the report makes. The fetch function is a
// parameter so tests can put Prometheus's answers (or its absence) in its place.
import { ReportError } from './errors.js';

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

export interface InstantSample {
  labels: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  /** [unix seconds, value], oldest first. */
  points: Array<[number, number]>;
}

export interface PrometheusClient {
  readonly url: string;
  /** An instant vector at `timeSec`. */
  instant(query: string, timeSec: number): Promise<InstantSample[]>;
  /** The raw samples of a range-vector selector evaluated at `timeSec` (no resampling). */
  samples(query: string, timeSec: number): Promise<RangeSeries[]>;
  /** A range query from `startSec` to `endSec` every `stepSec`. */
  range(query: string, startSec: number, endSec: number, stepSec: number): Promise<RangeSeries[]>;
}

export interface PrometheusClientOptions {
  fetch: FetchLike;
  timeoutMs: number;
}

interface ApiBody {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Checks and normalizes the `--prometheus` URL: http(s), no query string, no trailing slash. */
export function parsePrometheusUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ReportError('CH_REPORT_BAD_OPTION', `--prometheus: "${text}" is not an absolute URL like http://127.0.0.1:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ReportError('CH_REPORT_BAD_OPTION', `--prometheus: "${text}" must be an http or https URL`);
  if (url.search || url.hash) throw new ReportError('CH_REPORT_BAD_OPTION', `--prometheus: "${text}" must not carry a query string or fragment`);
  if (url.username || url.password) throw new ReportError('CH_REPORT_BAD_OPTION', '--prometheus: credentials in the URL would end up in the report; use a proxy or a URL without them');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function prometheusClient(baseUrl: string, options: PrometheusClientOptions): PrometheusClient {
  async function call(endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<{ resultType: string; result: unknown[] }> {
    const target = `${baseUrl}/api/v1/${endpoint}`;
    let res: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      // POST keeps long PromQL out of URLs and proxy logs.
      res = await options.fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new ReportError('CH_REPORT_PROMETHEUS_UNREACHABLE', `Prometheus at ${baseUrl} is unreachable: ${describeFetchError(err, options.timeoutMs)}`);
    }
    let body: ApiBody;
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {
      throw new ReportError(
        'CH_REPORT_PROMETHEUS_QUERY',
        `${target} answered HTTP ${res.status} with something that is not the Prometheus API (${JSON.stringify(text.slice(0, 120))}); is ${baseUrl} a Prometheus server?`,
      );
    }
    if (body.status !== 'success') {
      throw new ReportError('CH_REPORT_PROMETHEUS_QUERY', `Prometheus at ${baseUrl} rejected the query ${params.query}: ${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no error text'}`);
    }
    const data = body.data;
    if (!data || typeof data.resultType !== 'string' || !Array.isArray(data.result)) {
      throw new ReportError('CH_REPORT_PROMETHEUS_QUERY', `Prometheus at ${baseUrl} answered ${params.query} without a result`);
    }
    return { resultType: data.resultType, result: data.result };
  }

  return {
    url: baseUrl,
    async instant(query, timeSec) {
      const data = await call('query', { query, time: String(timeSec) });
      if (data.resultType !== 'vector') throw unexpected(baseUrl, query, 'vector', data.resultType);
      return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
    },
    async samples(query, timeSec) {
      const data = await call('query', { query, time: String(timeSec) });
      if (data.resultType !== 'matrix') throw unexpected(baseUrl, query, 'matrix', data.resultType);
      return toSeries(data.result);
    },
    async range(query, startSec, endSec, stepSec) {
      const data = await call('query_range', { query, start: String(startSec), end: String(endSec), step: String(stepSec) });
      if (data.resultType !== 'matrix') throw unexpected(baseUrl, query, 'matrix', data.resultType);
      return toSeries(data.result);
    },
  };
}

function toSeries(result: unknown[]): RangeSeries[] {
  return (result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((s) => ({
    labels: s.metric,
    points: s.values.map(([t, v]) => [t, Number(v)] as [number, number]),
  }));
}

function unexpected(baseUrl: string, query: string, wanted: string, got: string): ReportError {
  return new ReportError('CH_REPORT_PROMETHEUS_QUERY', `Prometheus at ${baseUrl} answered ${query} with a ${got}, not a ${wanted}`);
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e.message ?? String(err);
}
