// The simulated subscribers: balance, plan, add-ons, profile and top-up orders of each test account.
// State lives in one AccountBook per sandbox instance (never module globals), so two sandboxes in
// one process, or two tests, never see each other's money.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SEED_PLAN_ID } from './catalog.js';
import { SandboxError, type SandboxProblem } from './errors.js';

export interface TestAccountSeed {
  msisdn: string;
  pin: string;
}

export const ACCOUNT_LIMITS = Object.freeze({
  seedBalanceFen: 10_000,
  /** Orders remembered per account for idempotent replays; the oldest are forgotten first. */
  ordersKept: 5_000,
  /** Active add-on subscriptions per account; a probe whose cleanup keeps failing cannot grow this without bound. */
  subscriptions: 100,
});

export type OrderStatus = 'DONE' | 'REFUNDED';

export interface TopupOrder {
  orderId: string;
  amountFen: number;
  status: OrderStatus;
}

export interface Subscription {
  subscriptionId: string;
  addonId: string;
  activatedAtMs: number;
}

interface AccountState {
  msisdn: string;
  pinDigest: Buffer | null;
  balanceFen: number;
  planId: string;
  contactEmail: string;
  orders: Map<string, TopupOrder>;
  subscriptions: Map<string, Subscription>;
}

export type TopupOutcome =
  | { kind: 'credited' | 'replayed'; order: TopupOrder; balanceFen: number }
  | { kind: 'conflict'; order: TopupOrder };

export interface AccountSnapshot {
  msisdn: string;
  balance: number;
  planId: string;
  addons: string[];
  contactEmail: string;
}

export class AccountBook {
  private readonly accounts = new Map<string, AccountState>();
  private subscriptionSerial = 0;

  constructor(seeds: ReadonlyArray<TestAccountSeed>) {
    const problems: SandboxProblem[] = [];
    seeds.forEach((seed, i) => {
      if (typeof seed.msisdn !== 'string' || !/^[0-9]{5,15}$/.test(seed.msisdn)) {
        problems.push({ path: `accounts[${i}].msisdn`, message: 'must be 5 to 15 digits' });
        return;
      }
      // An account without a PIN (none configured) exists but cannot log in.
      const digest = typeof seed.pin === 'string' && seed.pin !== '' ? pinDigest(seed.pin) : null;
      const existing = this.accounts.get(seed.msisdn);
      if (existing) {
        // The same number may sit in two pools; it is one subscriber only if the PINs agree.
        const same = existing.pinDigest === null || digest === null ? existing.pinDigest === digest : timingSafeEqual(existing.pinDigest, digest);
        if (!same) problems.push({ path: `accounts[${i}]`, message: 'the same number appears earlier with a different PIN' });
        return;
      }
      this.accounts.set(seed.msisdn, {
        msisdn: seed.msisdn,
        pinDigest: digest,
        balanceFen: ACCOUNT_LIMITS.seedBalanceFen,
        planId: SEED_PLAN_ID,
        contactEmail: `subscriber-${seed.msisdn.slice(-4)}@sandbox.example.invalid`,
        orders: new Map(),
        subscriptions: new Map(),
      });
    });
    if (problems.length > 0) throw new SandboxError('CH_SANDBOX_ACCOUNTS_INVALID', problems);
  }

  has(msisdn: string): boolean {
    return this.accounts.has(msisdn);
  }

  /** True only for a known number with its PIN; the two cases are not told apart to callers. */
  checkPin(msisdn: string, pin: string): boolean {
    const account = this.accounts.get(msisdn);
    const digest = pinDigest(pin);
    return account !== undefined && account.pinDigest !== null && timingSafeEqual(account.pinDigest, digest);
  }

  balanceFen(msisdn: string): number {
    return this.account(msisdn).balanceFen;
  }

  /** Credits once per order id: a replay returns the first outcome, so a retried probe never double-credits. */
  topup(msisdn: string, orderId: string, amountFen: number): TopupOutcome {
    const account = this.account(msisdn);
    const existing = account.orders.get(orderId);
    if (existing) {
      if (existing.amountFen !== amountFen) return { kind: 'conflict', order: { ...existing } };
      return { kind: 'replayed', order: { ...existing }, balanceFen: account.balanceFen };
    }
    const order: TopupOrder = { orderId, amountFen, status: 'DONE' };
    account.orders.set(orderId, order);
    account.balanceFen += amountFen;
    if (account.orders.size > ACCOUNT_LIMITS.ordersKept) {
      const oldest = account.orders.keys().next().value as string;
      account.orders.delete(oldest);
    }
    return { kind: 'credited', order: { ...order }, balanceFen: account.balanceFen };
  }

  order(msisdn: string, orderId: string): TopupOrder | undefined {
    const order = this.account(msisdn).orders.get(orderId);
    return order ? { ...order } : undefined;
  }

  /** Reverses a top-up once; refunding again answers REFUNDED and moves no money. */
  refund(msisdn: string, orderId: string): { order: TopupOrder; balanceFen: number } | undefined {
    const account = this.account(msisdn);
    const order = account.orders.get(orderId);
    if (!order) return undefined;
    if (order.status === 'DONE') {
      order.status = 'REFUNDED';
      account.balanceFen -= order.amountFen;
    }
    return { order: { ...order }, balanceFen: account.balanceFen };
  }

  planId(msisdn: string): string {
    return this.account(msisdn).planId;
  }

  /** Returns the plan the account had before. */
  changePlan(msisdn: string, planId: string): string {
    const account = this.account(msisdn);
    const previous = account.planId;
    account.planId = planId;
    return previous;
  }

  subscriptions(msisdn: string): Subscription[] {
    return [...this.account(msisdn).subscriptions.values()].map((s) => ({ ...s }));
  }

  subscribe(msisdn: string, addonId: string, nowMs: number): Subscription | 'limit' {
    const account = this.account(msisdn);
    if (account.subscriptions.size >= ACCOUNT_LIMITS.subscriptions) return 'limit';
    this.subscriptionSerial += 1;
    const subscription = { subscriptionId: `SUB${String(this.subscriptionSerial).padStart(8, '0')}`, addonId, activatedAtMs: nowMs };
    account.subscriptions.set(subscription.subscriptionId, subscription);
    return { ...subscription };
  }

  unsubscribe(msisdn: string, subscriptionId: string): boolean {
    return this.account(msisdn).subscriptions.delete(subscriptionId);
  }

  contactEmail(msisdn: string): string {
    return this.account(msisdn).contactEmail;
  }

  /** Returns the address the account had before. */
  setContactEmail(msisdn: string, contactEmail: string): string {
    const account = this.account(msisdn);
    const previous = account.contactEmail;
    account.contactEmail = contactEmail;
    return previous;
  }

  snapshot(): AccountSnapshot[] {
    return [...this.accounts.values()]
      .map((a) => ({
        msisdn: a.msisdn,
        balance: a.balanceFen / 100,
        planId: a.planId,
        addons: [...a.subscriptions.values()].map((s) => s.addonId).sort(),
        contactEmail: a.contactEmail,
      }))
      .sort((x, y) => (x.msisdn < y.msisdn ? -1 : x.msisdn > y.msisdn ? 1 : 0));
  }

  private account(msisdn: string): AccountState {
    const account = this.accounts.get(msisdn);
    // Callers reach here only after a token resolved to this number, so a miss is a bug.
    if (!account) throw new Error(`sandbox: no account for an authenticated session`);
    return account;
  }
}

// Digests of equal length let PINs of any length be compared in constant time.
function pinDigest(pin: string): Buffer {
  return createHash('sha256').update(pin, 'utf8').digest();
}
