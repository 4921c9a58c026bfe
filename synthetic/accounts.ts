// Test accounts are leased exclusively: two probes never act on one subscriber at once, so a
// verify step never sees another probe's top-up and a refund never undoes the wrong order.

export interface TestAccount {
  msisdn: string;
  pin: string;
}

export interface AccountLease {
  account: TestAccount;
  release(): void;
}

export class AccountPoolExhaustedError extends Error {
  constructor(readonly pool: string) {
    super(`no free test account in pool "${pool}" before the check's deadline`);
    this.name = 'AccountPoolExhaustedError';
  }
}

export class TestAccountPool {
  private readonly free: TestAccount[];
  private readonly waiters: Array<(lease: AccountLease) => void> = [];

  constructor(readonly name: string, accounts: readonly TestAccount[]) {
    this.free = [...accounts];
  }

  get available(): number {
    return this.free.length;
  }

  /** Resolves with the longest-idle account; waits while all are leased, up to the signal. */
  lease(signal: AbortSignal): Promise<AccountLease> {
    const account = this.free.shift();
    if (account) return Promise.resolve(this.leaseOf(account));
    return new Promise((resolve, reject) => {
      const waiter = (lease: AccountLease) => {
        signal.removeEventListener('abort', onAbort);
        resolve(lease);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AccountPoolExhaustedError(this.name));
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
        const next = this.waiters.shift();
        if (next) next(this.leaseOf(account));
        else this.free.push(account);
      },
    };
  }
}
