// Maintenance windows: the config's business-clock windows, whether one is on at an instant, the
// Alertmanager time intervals they become (in UTC, exactly), the routes that mute what they
// cover, and the gauge that says which are on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateAlertmanagerConfig } from '../../alerts/index.js';
import { coveredPairs, maintenanceScopes, timeInterval } from '../../alerts/maintenance.js';
import { createMetrics } from '../../collector/metrics.js';
import { maintenanceActive, parseConfig, parseWindowTime, type Config } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

const shippedText = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');
function variant(changes: Record<string, unknown>): Config {
  const raw = parse(shippedText) as Record<string, unknown>;
  return parseConfig(stringify({ ...raw, ...changes }, { aliasDuplicateObjects: false }), 'variant.yaml');
}
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('read recurring times on the business clock and one-off times with or without an offset', () => {
    const config = variant({
      maintenance: {
        nightly: { backends: ['billing'], start: '23:30', end: '00:30', weekdays: ['sun'] },
        push: { channels: ['kiosk', 'kiosk'], from: '2026-12-01T01:00', to: '2026-12-01T03:00Z' },
      },
    });
    const [nightly, push] = config.maintenance;
    expect(nightly).toMatchObject({ id: 'nightly', channels: [], backends: ['billing'], schedule: { kind: 'recurring', weekdays: [0], startMinute: 1410, minutes: 60 } });
    // 01:00 at +08:00 is 17:00 UTC the day before; the end carries its own offset.
    expect(push).toMatchObject({ channels: ['kiosk'], schedule: { kind: 'once', startMs: at('2026-11-30T17:00:00Z'), endMs: at('2026-12-01T03:00:00Z') } });
    expect(parseWindowTime('2026-12-01T01:00-05:30', 480)).toBe(at('2026-12-01T06:30:00Z'));
    expect(parseWindowTime('2026-13-01T01:00', 0)).toBeNull();
  });

  it('are on exactly from their start to their end, across midnight and on the business weekday', () => {
    const config = variant({ maintenance: { nightly: { backends: ['billing'], start: '23:30', end: '00:30', weekdays: ['sun'] } } });
    const w = config.maintenance[0] as Config['maintenance'][number];
    const on = (iso: string) => maintenanceActive(w, at(iso), config.service.utcOffsetMinutes);
    // Sunday 2026-11-29 23:30 at +08:00 is 15:30 UTC; Monday 00:30 there is 16:30 UTC.
    expect(on('2026-11-29T15:29:59Z')).toBe(false);
    expect(on('2026-11-29T15:30:00Z')).toBe(true);
    expect(on('2026-11-29T16:29:59Z')).toBe(true);
    expect(on('2026-11-29T16:30:00Z')).toBe(false);
    // Saturday night at the same hour is not the window.
    expect(on('2026-11-28T15:45:00Z')).toBe(false);
    const once = variant({ maintenance: { push: { channels: ['kiosk'], from: '2026-12-01T01:00Z', to: '2026-12-01T02:00Z' } } }).maintenance[0] as Config['maintenance'][number];
    expect([at('2026-12-01T00:59:59Z'), at('2026-12-01T01:00:00Z'), at('2026-12-01T01:59:59Z'), at('2026-12-01T02:00:00Z')].map((t) => maintenanceActive(once, t, 0))).toEqual([false, true, true, false]);
  });

  it('become Alertmanager time intervals in UTC, split at UTC midnight, for any offset', () => {
    const config = variant({
      service: { ...(parse(shippedText) as { service: object }).service, utcOffset: '+05:30' },
      maintenance: {
        nightly: { backends: ['billing'], start: '04:00', end: '07:00', weekdays: ['mon', 'tue'] },
        long: { channels: ['web'], from: '2026-12-31T22:00Z', to: '2027-01-02T01:15Z' },
      },
    });
    const [nightly, long] = config.maintenance.map((w) => timeInterval(w, config.service.utcOffsetMinutes));
    // Monday 04:00 at +05:30 is Sunday 22:30 UTC; three hours run to Monday 01:30 UTC.
    expect(nightly).toEqual({
      name: 'maintenance-nightly',
      time_intervals: [
        { weekdays: ['monday', 'tuesday'], times: [{ start_time: '00:00', end_time: '01:30' }] },
        { weekdays: ['sunday', 'monday'], times: [{ start_time: '22:30', end_time: '24:00' }] },
      ],
    });
    expect(long?.time_intervals).toEqual([
      { years: ['2026'], months: ['12'], days_of_month: ['31'], times: [{ start_time: '22:00', end_time: '24:00' }] },
      { years: ['2027'], months: ['1'], days_of_month: ['1'], times: [{ start_time: '00:00', end_time: '24:00' }] },
      { years: ['2027'], months: ['1'], days_of_month: ['2'], times: [{ start_time: '00:00', end_time: '01:15' }] },
    ]);
  });

  it('mute every alert of what they cover, with all the windows that cover it, and nothing else', () => {
    const config = variant({});
    const [billing, kiosk] = config.maintenance as [Config['maintenance'][number], Config['maintenance'][number]];
    // billing: its 4 transactions on all 5 channels; kiosk: all 7 transactions on kiosk.
    expect(coveredPairs(billing, config)).toHaveLength(20);
    expect(coveredPairs(kiosk, config)).toHaveLength(7);
    expect(maintenanceScopes(config)).toEqual([
      { intervals: ['maintenance-billing_batch'], matchers: [['channel=~"app|ivr|sms|web"', 'transaction=~"balance_query|bill_query|plan_change|topup"']] },
      { intervals: ['maintenance-billing_batch', 'maintenance-kiosk_push'], matchers: [['channel="kiosk"', 'transaction=~"balance_query|bill_query|plan_change|topup"']] },
      { intervals: ['maintenance-kiosk_push'], matchers: [['channel="kiosk"', 'transaction=~"data_addon|other_query|profile_update"']] },
    ]);
    const am = generateAlertmanagerConfig(config);
    expect(am.time_intervals?.map((i) => i.name)).toEqual(['maintenance-billing_batch', 'maintenance-kiosk_push']);
    const top = am.route.routes ?? [];
    expect(top[0]?.matchers).toEqual(['alertname="Watchdog"']);
    expect(top[0]?.mute_time_intervals).toBeUndefined();
    // Every route under a maintenance route carries its windows; the normal routes carry none.
    const walk = (r: (typeof top)[number]): Array<string[] | undefined> => [r.mute_time_intervals, ...(r.routes ?? []).flatMap(walk)];
    for (const r of top.slice(1, 4)) expect(walk(r).every((m) => m !== undefined && m.length > 0)).toBe(true);
    for (const r of top.slice(4)) expect(walk(r).every((m) => m === undefined)).toBe(true);
    expect(generateAlertmanagerConfig(variant({ maintenance: {} })).time_intervals).toBeUndefined();
  });

  it('are exported as a gauge per window and scope entry, read from the clock at each scrape', async () => {
    const config = variant({});
    let now = at('2026-11-30T18:10:00Z'); // Tuesday 02:10 at +08:00: the billing batch, not the kiosk push
    const registry = new Registry();
    createMetrics(registry, config, { version: 't', clock: () => now });
    const read = async () => (await registry.getSingleMetricAsString('channel_health_maintenance_active')).split('\n').filter((l) => !l.startsWith('#'));
    expect(await read()).toEqual(['channel_health_maintenance_active{window="billing_batch",backend="billing"} 1', 'channel_health_maintenance_active{window="kiosk_push",channel="kiosk"} 0']);
    now = at('2026-11-30T19:30:00Z'); // Tuesday 03:30: the kiosk push
    expect(await read()).toEqual(['channel_health_maintenance_active{window="billing_batch",backend="billing"} 0', 'channel_health_maintenance_active{window="kiosk_push",channel="kiosk"} 1']);
  });
});
