// `channel-health report`: the weekly capacity-tuning report from Prometheus (docs/report.md).
// Flags are all checked before Prometheus is asked anything; exit 0 written, 1 Prometheus or
// writing failed, 2 bad input.
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, parseDuration, type Config } from '../config/index.js';
import {
  collectReport,
  parseFormats,
  parsePrometheusUrl,
  parseUtcOffset,
  prometheusClient,
  resolvePeriod,
  ReportError,
  writeReport,
  type FetchLike,
} from '../report/index.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { EXIT, type CliIO, type CommandMain } from './command.js';

const USAGE = `Usage: channel-health report --prometheus URL (--week 2026-W47 | --from ISO --to ISO) [options]

Writes the capacity-tuning report for a period, from Prometheus's HTTP API.

  --prometheus URL     Prometheus base URL, e.g. http://127.0.0.1:9090 (required)
  --week YYYY-Www      an ISO week, Monday 00:00 to Monday 00:00 on the --utc-offset clock
  --from ISO, --to ISO a period instead of a week: 2026-11-16, 2026-11-16T08:00 or with a zone (…+08:00, …Z)
  --utc-offset ±HH:MM  the business clock for weeks, days, peak hours and zone-less times
                       (default: service.utcOffset of the config, else Z)
  --format LIST        any of html,md,json (default html,md,json)
  --out DIR            where the files go (default .), named channel-health-report-<period>.<ext>
  --config FILE        capacities, latency thresholds and order (default ${DEFAULT_CONFIG_FILE} if present)
  --timeout DURATION   per query, e.g. 30s (default 30s)

Progress goes to stderr, the written paths to stdout.
Exit codes: 0 written; 1 Prometheus unreachable, failed, missing the series, or a file not written; 2 bad input.
`;

export interface ReportDeps {
  fetch: FetchLike;
  now: () => number;
}

export const main: CommandMain = (args, io) => runReport(args, io, { fetch: globalThis.fetch, now: Date.now });

export async function runReport(args: string[], io: CliIO, deps: ReportDeps): Promise<number> {
  const fail = (code: string, message: string, exit: number) => {
    io.stderr.write(`channel-health report: ${code}: ${message}\n`);
    return exit;
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        prometheus: { type: 'string' },
        week: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'utc-offset': { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return fail('CH_CLI_USAGE', `${(err as Error).message}\n\n${USAGE}`, EXIT.badInput);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const str = (name: string) => values[name] as string | undefined;

  // First: the config's business clock is the default for --utc-offset.
  let config: Config | null;
  try {
    config = await readConfig(str('config'), (m) => io.stderr.write(`report: ${m}\n`));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`channel-health report: ${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }

  let request;
  try {
    const prometheusText = str('prometheus');
    if (prometheusText === undefined) throw new ReportError('CH_REPORT_BAD_OPTION', '--prometheus URL is required');
    const offsetText = str('utc-offset');
    const utcOffsetMinutes = offsetText !== undefined ? parseUtcOffset(offsetText) : (config?.service.utcOffsetMinutes ?? 0);
    request = {
      prometheus: parsePrometheusUrl(prometheusText),
      period: resolvePeriod({ week: str('week'), from: str('from'), to: str('to'), utcOffsetMinutes }, deps.now()),
      formats: parseFormats(str('format') ?? 'html,md,json'),
      outDir: str('out') ?? '.',
      timeoutMs: parseTimeout(str('timeout') ?? '30s'),
    };
    if (request.outDir === '') throw new ReportError('CH_REPORT_BAD_OPTION', '--out: must name a folder');
  } catch (err) {
    if (err instanceof ReportError) return fail(err.code, `${err.message}\n\n${USAGE}`, err.exitCode);
    throw err;
  }

  try {
    const client = prometheusClient(request.prometheus, { fetch: deps.fetch, timeoutMs: request.timeoutMs });
    const report = await collectReport({ client, period: request.period, config, now: deps.now, progress: (m) => io.stderr.write(`report: ${m}\n`) });
    const written = await writeReport(report, request.period.slug, request.formats, request.outDir);
    for (const file of written) io.stdout.write(`${file}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ReportError) return fail(err.code, err.message, err.exitCode);
    throw err;
  }
}

function parseTimeout(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new ReportError('CH_REPORT_BAD_OPTION', `--timeout: "${text}" is not a duration like 30s or 2m`);
  }
  if (ms < 100 || ms > 600_000) throw new ReportError('CH_REPORT_BAD_OPTION', `--timeout: ${text} must be between 100ms and 10m`);
  return ms;
}

/** The given config, or the default file when it exists: the report runs without one, only poorer. */
async function readConfig(file: string | undefined, note: (m: string) => void): Promise<Config | null> {
  if (file !== undefined) return loadConfigFile(file);
  const exists = await access(DEFAULT_CONFIG_FILE).then(
    () => true,
    () => false,
  );
  if (!exists) {
    note(`no --config and no ${DEFAULT_CONFIG_FILE} here: no capacities or latency thresholds; objectives from Prometheus only`);
    return null;
  }
  note(`using ${DEFAULT_CONFIG_FILE} for capacities, thresholds and objectives`);
  return loadConfigFile(DEFAULT_CONFIG_FILE);
}
