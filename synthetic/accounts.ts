// Test accounts are leased exclusively: two probes never act on one subscriber at once, so a
// verify step never sees another probe's top-up and a refund never undoes the wrong order.
// The pool is also the allow-list: a probe acts only on the account it leased from it, and a
// money-moving request that names any other subscriber, or moves more than its cap, is refused
// before it is sent (docs/safety.md). An account whose money-moving run is not yet compensated is
// held: no money-moving probe leases it until the journal says that run is finished, so no probe
// reads an account's "previous" value while another change to it is still open.

export interface TestAccount {
  msisdn: string;
  pin: string;
}

export interface AccountLease {
  account: TestAccount;
  release(): void;
}

export class AccountPoolExhaustedError extends Error {
  constructor(
    readonly pool: string,
    /** Accounts of the pool held by unfinished money-moving runs, when the lease skipped them. */
    readonly held = 0,
  ) {
    super(`no free test account in pool "${pool}" before the check's deadline${held > 0 ? ` (${held} held by unfinished money-moving runs in the probe journal)` : ''}`);
    this.name = 'AccountPoolExhaustedError';
  }
}

/** A number that is not in the pool: nothing may be done to it, whatever asked. */
export class AccountNotAllowedError extends Error {
  constructor(readonly pool: string) {
    super(`the account is not in test-account pool "${pool}" (the pool is the allow-list)`);
    this.name = 'AccountNotAllowedError';
  }
}

/** Which accounts have an unfinished money-moving run (journal/store.ts's ProbeJournal). */
export interface AccountHolds {
  heldAccounts(): ReadonlySet<string>;
  /** Calls back when an account's last unfinished run finishes. */
  onAccountSettled(listener: (msisdn: string) => void): void;
}

export interface LeaseOptions {
  /** Skip accounts the holds name: a money-moving run must not start on an account with an open change. */
  skipHeld?: boolean;
}

interface Waiter {
  /** A specific number, or null for whichever account frees first. */
  wants: string | null;
  skipHeld: boolean;
  give(account: TestAccount): void;
}

const NONE: ReadonlySet<string> = new Set();

export class TestAccountPool {
  private readonly free: TestAccount[];
  private readonly members: ReadonlyMap<string, TestAccount>;
  private readonly waiters: Waiter[] = [];
  private holds: AccountHolds | null = null;

  constructor(readonly name: string, accounts: readonly TestAccount[]) {
    this.free = [...accounts];
    this.members = new Map(accounts.map((a) => [a.msisdn, a]));
  }

  get available(): number {
    return this.free.length;
  }

  /** True when the number is one of the pool's test accounts. */
  allows(msisdn: string): boolean {
    return this.members.has(msisdn);
  }

  /**
   * From now on, `lease(…, { skipHeld: true })` passes over the accounts `holds` names. The holds
   * are asked at every lease, so what they say after a restart (the journal on disk) counts at once.
   */
  useHolds(holds: AccountHolds): void {
    if (this.holds === holds) return;
    this.holds = holds;
    holds.onAccountSettled((msisdn) => this.offer(msisdn));
  }

  /** Resolves with the longest-idle account (not held, with `skipHeld`); waits while none is free, up to the signal. */
  lease(signal: AbortSignal, options: LeaseOptions = {}): Promise<AccountLease> {
    const skipHeld = options.skipHeld === true && this.holds !== null;
    const held = skipHeld ? this.heldNow() : NONE;
    const index = this.free.findIndex((a) => !held.has(a.msisdn));
    if (index >= 0) return Promise.resolve(this.leaseOf(this.free.splice(index, 1)[0] as TestAccount));
    return this.wait(null, signal, skipHeld);
  }

  /**
   * Leases one named account (reconciliation acts on the account a journaled run used), waiting
   * while a probe holds it. Rejects with AccountNotAllowedError when the number is not in the pool.
   */
  leaseAccount(msisdn: string, signal: AbortSignal): Promise<AccountLease> {
    if (!this.members.has(msisdn)) return Promise.reject(new AccountNotAllowedError(this.name));
    const index = this.free.findIndex((a) => a.msisdn === msisdn);
    if (index >= 0) return Promise.resolve(this.leaseOf(this.free.splice(index, 1)[0] as TestAccount));
    return this.wait(msisdn, signal, false);
  }

  private heldNow(): ReadonlySet<string> {
    return this.holds?.heldAccounts() ?? NONE;
  }

  /** The first waiter that may take `msisdn` now, removed from the queue. */
  private takeWaiter(msisdn: string): Waiter | undefined {
    let held: ReadonlySet<string> | null = null;
    const i = this.waiters.findIndex((w) => {
      if (w.wants !== null) return w.wants === msisdn;
      if (!w.skipHeld) return true;
      held ??= this.heldNow();
      return !held.has(msisdn);
    });
    return i >= 0 ? this.waiters.splice(i, 1)[0] : undefined;
  }

  /** A held account was released by the journal: hand it to a waiting run if it is free. */
  private offer(msisdn: string): void {
    const index = this.free.findIndex((a) => a.msisdn === msisdn);
    if (index < 0) return;
    const waiter = this.takeWaiter(msisdn);
    if (waiter) waiter.give(this.free.splice(index, 1)[0] as TestAccount);
  }

  private wait(wants: string | null, signal: AbortSignal, skipHeld: boolean): Promise<AccountLease> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        wants,
        skipHeld,
        give: (account) => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.leaseOf(account));
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        const held = skipHeld ? [...this.heldNow()].filter((m) => this.members.has(m)).length : 0;
        reject(new AccountPoolExhaustedError(this.name, held));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private leaseOf(account: TestAccount): AccountLease {
    let released = false;
    return {
      account,
      release: () => {
        if (released) return;
        released = true;
        const waiter = this.takeWaiter(account.msisdn);
        if (waiter) waiter.give(account);
        else this.free.push(account);
      },
    };
  }
}

/** What a rendered request may carry: its leased subscriber, and amounts up to the cap. */
export interface RequestLimits {
  /** The leased account's number; every other subscriber number is refused. Null: no account. */
  msisdn: string | null;
  /** Every configured test number (all pools): another probe's account is never a target either. */
  knownNumbers: ReadonlySet<string>;
  /** Largest `amount` allowed; null when the check sets no cap. */
  maxAmount: number | null;
  /** Money-moving checks also refuse other subscribers and any amount when no cap is set. */
  moneyMoving: boolean;
}

// A mainland mobile number as a whole value, with or without +86/86.
const MOBILE = /^(?:\+?86)?1[3-9][0-9]{9}$/;

/**
 * Returns why a rendered request must not be sent, or null when it may be. Looks at the URL's
 * path segments and query values and at every value of a JSON body: a value that is, as a
 * whole, a subscriber number other than the leased one names someone the probe must not touch.
 */
export function unsafeRequest(request: { url: string; body: string | undefined }, limits: RequestLimits): string | null {
  const json = parseBody(request.body);
  if (limits.maxAmount !== null || limits.moneyMoving) {
    for (const field of amounts(json)) {
      const value = typeof field.value === 'number' ? field.value : typeof field.value === 'string' && field.value.trim() !== '' ? Number(field.value) : Number.NaN;
      if (!Number.isFinite(value)) return `refused to send: ${field.path} is not a number`;
      if (limits.maxAmount === null) return `refused to send: ${field.path} is ${value} and the check sets no maxAmount`;
      if (Math.abs(value) > limits.maxAmount) return `refused to send: ${field.path} is ${value}, above the check's maxAmount ${limits.maxAmount}`;
    }
  }
  if (!limits.moneyMoving) return null;
  const names = (value: string) => value !== limits.msisdn && (MOBILE.test(value) || limits.knownNumbers.has(value));
  let url: URL | null = null;
  try {
    url = new URL(request.url);
  } catch {
    // The prober reports an unusable URL as a failure of its own.
  }
  const candidates: Array<{ where: string; value: string }> = [];
  if (url) {
    for (const segment of url.pathname.split('/')) candidates.push({ where: 'the URL', value: safeDecode(segment) });
    for (const [key, value] of url.searchParams) candidates.push({ where: `the URL's ${key}`, value });
  }
  for (const leaf of leaves(json)) candidates.push({ where: `body ${leaf.path}`, value: String(leaf.value) });
  const other = candidates.find((c) => names(c.value));
  // The number itself stays out of the message: results and logs must not carry subscriber numbers.
  if (other) return `refused to send: ${other.where} names a subscriber other than the leased test account`;
  return null;
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function* amounts(value: unknown, at = '$'): Generator<{ path: string; value: unknown }> {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* amounts(v, `${at}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'amount') yield { path: `${at}.${k}`, value: v };
      yield* amounts(v, `${at}.${k}`);
    }
  }
}

function* leaves(value: unknown, at = '$'): Generator<{ path: string; value: string | number }> {
  if (typeof value === 'string' || typeof value === 'number') yield { path: at, value };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* leaves(v, `${at}[${i}]`);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* leaves(v, `${at}.${k}`);
}
