// The weekly report `run` and `collector` make on schedule (docs/report.md): /reports serves the
// report folder; with report.prometheus set, the scheduler fires on report.schedule and exports
// its tries and last success on /metrics. Composed here so run.ts and collector.ts add one call.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createReportMetrics } from '../collector/metrics.js';
import { reportsApi } from '../collector/reports-api.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ReportScheduler, type ReportSchedulerDeps } from '../report/scheduler.js';

export interface ScheduledReports {
  scheduler: ReportScheduler | null;
  stop(): Promise<void>;
}

/** Registers /reports on the app (before it listens) and makes the scheduler; `start()` arms it. */
export async function scheduledReports(
  deps: { config: Config; app: FastifyInstance; registry: Registry; log: Logger } & Partial<Pick<ReportSchedulerDeps, 'now' | 'fetch' | 'periodFor' | 'schedule'>>,
): Promise<ScheduledReports & { start(): Promise<void> }> {
  const { config, app, registry, log } = deps;
  await app.register(reportsApi, { folder: config.report.folder });
  const prometheus = config.report.prometheus;
  if (prometheus === null) {
    return { scheduler: null, start: async () => undefined, stop: async () => undefined };
  }
  const { now, fetch, periodFor, schedule } = deps;
  const scheduler = new ReportScheduler({
    config,
    prometheus,
    log,
    metrics: createReportMetrics(registry),
    ...(now ? { now } : {}),
    ...(fetch ? { fetch } : {}),
    ...(periodFor ? { periodFor } : {}),
    ...(schedule ? { schedule } : {}),
  });
  return { scheduler, start: () => scheduler.start(), stop: () => scheduler.stop() };
}
