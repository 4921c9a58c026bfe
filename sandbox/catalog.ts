// What the simulated operator sells and bills: plans, data add-ons, monthly bills and points.
// Bills and points are derived from the number and month, so every query answers the same way
// and tests can compare against fixed figures; money is kept in fen (integer) to avoid drift.

export interface Plan {
  planId: string;
  name: string;
  /** Monthly fee in fen. */
  monthlyFeeFen: number;
}

export const PLANS: readonly Plan[] = Object.freeze([
  { planId: 'P18', name: 'Basic 18', monthlyFeeFen: 1800 },
  { planId: 'P38', name: 'Standard 38', monthlyFeeFen: 3800 },
  { planId: 'P58', name: 'Plus 58', monthlyFeeFen: 5800 },
  { planId: 'P88', name: 'Premium 88', monthlyFeeFen: 8800 },
  { planId: 'P128', name: 'Unlimited 128', monthlyFeeFen: 12800 },
]);

export const SEED_PLAN_ID = 'P38';

export interface Addon {
  addonId: string;
  name: string;
  feeFen: number;
}

export const ADDONS: readonly Addon[] = Object.freeze([
  { addonId: 'DATA_1GB_DAY', name: '1 GB day pass', feeFen: 500 },
  { addonId: 'DATA_5GB_MONTH', name: '5 GB monthly pack', feeFen: 3000 },
  { addonId: 'DATA_10GB_MONTH', name: '10 GB monthly pack', feeFen: 5000 },
]);

export function findPlan(planId: string): Plan | undefined {
  return PLANS.find((p) => p.planId === planId);
}

export function findAddon(addonId: string): Addon | undefined {
  return ADDONS.find((a) => a.addonId === addonId);
}

export function fenToYuan(fen: number): number {
  return Math.round(fen) / 100;
}

export interface BillItem {
  item: string;
  amount: number;
}

export interface Bill {
  month: string;
  totalFen: number;
  items: BillItem[];
}

/** The bill of one month: the seed plan's fee plus usage figures fixed by number and month. */
export function billFor(msisdn: string, month: string): Bill {
  const seed = fnv1a(`${msisdn}|${month}`);
  const usage: Array<[string, number]> = [
    ['Monthly plan fee (Standard 38)', 3800],
    ['Voice calls', seed % 3000],
    ['Mobile data', (seed >>> 8) % 2000],
    ['SMS', (seed >>> 16) % 500],
  ];
  return {
    month,
    totalFen: usage.reduce((sum, [, fen]) => sum + fen, 0),
    items: usage.map(([item, fen]) => ({ item, amount: fenToYuan(fen) })),
  };
}

export function pointsFor(msisdn: string): number {
  return 500 + (fnv1a(msisdn) % 9500);
}

/** Months after the current one have no bill; "current" is taken in the earliest time zone (UTC+14) so no caller's local month is refused. */
export function isFutureMonth(month: string, nowMs: number): boolean {
  const latest = new Date(nowMs + 14 * 3_600_000);
  const current = `${latest.getUTCFullYear()}-${String(latest.getUTCMonth() + 1).padStart(2, '0')}`;
  return month > current;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
