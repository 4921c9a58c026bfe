// The "(N by default)" phrases of docs/config.md come from CONFIG_DEFAULTS, interpolated in the
// schema: each documented default is the real one, changing a default changes its description,
// and no description states a default value CONFIG_DEFAULTS does not hold.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { byDefault, CONFIG_DEFAULTS } from '../../config/defaults.js';
import { renderConfigDocs } from '../../config/docs.js';

type Defaults = typeof CONFIG_DEFAULTS;

/** Field path in docs/config.md → where its default lives in CONFIG_DEFAULTS. */
const DOCUMENTED: Record<string, (d: Defaults) => unknown> = {
  'service.listen': (d) => d.listen,
  'service.location': (d) => d.location,
  'service.sandbox': (d) => d.sandbox,
  'service.concurrency': (d) => d.concurrency,
  'service.resultsRetained': (d) => d.resultsRetained,
  'service.scrape.concurrent': (d) => d.scrape.concurrent,
  'service.scrape.queued': (d) => d.scrape.queued,
  'service.scrape.queueTimeout': (d) => d.scrape.queueTimeout,
  'service.publicUrl': (d) => d.publicUrl,
  'service.journal.path': (d) => d.journal.path,
  'service.journal.reconcileInterval': (d) => d.journal.reconcileInterval,
  'service.journal.maxAttempts': (d) => d.journal.maxAttempts,
  'service.breaker.openAfter': (d) => d.breaker.openAfter,
  'service.breaker.maxBackoff': (d) => d.breaker.maxBackoff,
  'checkDefaults.interval': (d) => d.interval,
  'checkDefaults.timeout': (d) => d.timeout,
  'checks[].interval': (d) => d.interval,
  'checks[].timeout': (d) => d.timeout,
  'checks[].steps[].request.method': (d) => d.method,
  'checks[].steps[].assert.status': (d) => d.stepStatus,
  'flows.<id>.steps[].request.method': (d) => d.method,
  'flows.<id>.steps[].assert.status': (d) => d.stepStatus,
  'alerting.sloWindow': (d) => d.alerting.sloWindow,
  'alerting.hardDownConsecutive': (d) => d.alerting.hardDownConsecutive,
  'alerting.falseAlarmProbability': (d) => d.alerting.falseAlarmProbability,
  'alerting.minimumFailures': (d) => d.alerting.minimumFailures,
  'alerting.impactBurnRate': (d) => d.alerting.impactBurnRate,
  'alerting.evidenceWindows': (d) => d.alerting.evidenceWindows,
  'alerting.recoveryWindow': (d) => d.alerting.recoveryWindow,
  'alerting.notReportingPeriods': (d) => d.alerting.notReportingPeriods,
  'alerting.burnRate.minimumEvents': (d) => d.alerting.burnRate.minimumEvents,
  'alerting.burnRate.minimumFailures': (d) => d.alerting.burnRate.minimumFailures,
  'alerting.latency.window': (d) => d.alerting.latency.window,
  'alerting.latency.for': (d) => d.alerting.latency.for,
  'alerting.latency.minimumRuns': (d) => d.alerting.latency.minimumRuns,
  'alerting.scrapeJob': (d) => d.alerting.scrapeJob,
  'alerting.routes': (d) => d.alerting.routes,
  'alerting.alertmanager.groupWait': (d) => d.alerting.alertmanager.groupWait,
  'alerting.alertmanager.groupInterval': (d) => d.alerting.alertmanager.groupInterval,
  'alerting.alertmanager.repeatInterval': (d) => d.alerting.alertmanager.repeatInterval,
  'alerting.alertmanager.secretsDir': (d) => d.alerting.alertmanager.secretsDir,
  'ingest.maxBatch': (d) => d.ingest.maxBatch,
  'ingest.maxBodyBytes': (d) => d.ingest.maxBodyBytes,
  'ingest.stateDir': (d) => d.ingest.stateDir,
  'ingest.dedupeWindow': (d) => d.ingest.dedupeWindow,
  'agent.listen': (d) => d.agent.listen,
  'agent.spoolDir': (d) => d.agent.spoolDir,
  'agent.batchSize': (d) => d.agent.batchSize,
  'agent.maxBackoff': (d) => d.agent.maxBackoff,
  'report.schedule': (d) => d.report.schedule,
  'report.folder': (d) => d.report.folder,
  'report.retain': (d) => d.report.retain,
  'report.attempts': (d) => d.report.attempts,
  'report.retryBackoff': (d) => d.report.retryBackoff,
  'report.timeout': (d) => d.report.timeout,
  'channels.<id>.smpp.addressTon': (d) => d.smpp.addressTon,
  'channels.<id>.smpp.addressNpi': (d) => d.smpp.addressNpi,
  'channels.<id>.smpp.enquireLink': (d) => d.smpp.enquireLink,
  'channels.<id>.smpp.window': (d) => d.smpp.window,
  'channels.<id>.smpp.rebindMax': (d) => d.smpp.rebindMax,
};

/** Defaults that are derived from other fields, not values of CONFIG_DEFAULTS. */
const DERIVED = new Set([
  'checks[].id', // <channel>.<transaction>
  'checks[].flow', // the transaction id
  'flows', // the flow named like the transaction
  'alerting.pageTiers', // the highest objective
  'alerting.runbookUrl', // <service.publicUrl>/docs/alerting.md
  'ingest.allowedLocations', // service.location
  'service.utcOffset', // Z: no offset, the loader's zero
]);

function descriptions(docs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of docs.matchAll(/^\| `([^`]+)` \| [^|]*(?:\\\|[^|]*)* \| [^|]* \| (.*) \|$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** Every leaf changed, so an interpolated description must change with it. */
function changed(value: unknown): unknown {
  if (Array.isArray(value)) return [...value.map(changed), changed(value[0])];
  if (typeof value === 'number') return value * 7 + 1;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return `${value}-changed`;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, changed(v)]));
  return value;
}

describe('defaults in the schema descriptions', () => {
  afterEach(() => {
    vi.doUnmock('../../config/defaults.js');
    vi.resetModules();
  });

  it('each documented default is the value of CONFIG_DEFAULTS', () => {
    const docs = descriptions(renderConfigDocs());
    for (const [field, read] of Object.entries(DOCUMENTED)) {
      expect(docs.get(field), field).toContain(byDefault(read(CONFIG_DEFAULTS)));
    }
  });

  it('every description that states a default takes it from CONFIG_DEFAULTS, listed here or not', async () => {
    const docs = descriptions(renderConfigDocs());
    expect(docs.size).toBeGreaterThan(100);
    // "none by default" states an absence, not a value CONFIG_DEFAULTS could hold.
    const statesValue = (d: string) => /by default/i.test(d.replace(/\b(none|nothing|off|unset) by default/gi, ''));
    const stated = [...docs].filter(([f, d]) => statesValue(d) && !DERIVED.has(f)).map(([f]) => f);
    for (const field of Object.keys(DOCUMENTED)) expect(stated, field).toContain(field);
    // A phrase copied by hand would survive a change of every default; an interpolated one cannot.
    vi.resetModules();
    vi.doMock('../../config/defaults.js', async (importOriginal) => ({ ...(await importOriginal<object>()), CONFIG_DEFAULTS: changed(CONFIG_DEFAULTS) }));
    const { renderConfigDocs: renderWithOther } = await import('../../config/docs.js');
    const other = descriptions(renderWithOther());
    const copied = stated.filter((field) => other.get(field) === docs.get(field));
    expect(copied, 'descriptions whose default does not come from CONFIG_DEFAULTS').toEqual([]);
  });

  it('a changed default changes its description (interpolated, not copied)', async () => {
    const other = changed(CONFIG_DEFAULTS) as Defaults;
    vi.resetModules();
    vi.doMock('../../config/defaults.js', async (importOriginal) => ({ ...(await importOriginal<object>()), CONFIG_DEFAULTS: other }));
    const { renderConfigDocs: renderWithOther } = await import('../../config/docs.js');
    const docs = descriptions(renderWithOther());
    for (const [field, read] of Object.entries(DOCUMENTED)) {
      expect(docs.get(field), field).toContain(byDefault(read(other)));
      expect(docs.get(field), field).not.toContain(byDefault(read(CONFIG_DEFAULTS)));
    }
  });
});
