// Everything one sandbox instance remembers, made once per instance and handed to its routes.
import type { Config } from '../config/index.js';
import { AccountBook, type TestAccountSeed } from './accounts.js';
import { HeldRequests } from './fault-effects.js';
import { FaultBook } from './faults.js';
import { SessionBook } from './sessions.js';

export interface SandboxState {
  config: Pick<Config, 'backends' | 'channels' | 'transactions'>;
  accounts: AccountBook;
  sessions: SessionBook;
  faults: FaultBook;
  held: HeldRequests;
  random: () => number;
  now: () => number;
}

export function createSandboxState(opts: {
  config: Pick<Config, 'backends' | 'channels' | 'transactions'>;
  accounts: ReadonlyArray<TestAccountSeed>;
  random?: () => number;
  now?: () => number;
}): SandboxState {
  const now = opts.now ?? Date.now;
  return {
    config: opts.config,
    accounts: new AccountBook(opts.accounts),
    sessions: new SessionBook(now),
    faults: new FaultBook(opts.config, now),
    held: new HeldRequests(),
    random: opts.random ?? Math.random,
    now,
  };
}
