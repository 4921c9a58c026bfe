// How a process that probes is put together from synthetic/: test-account pools with their
// secrets, per-channel rate limiters, the runner and the scheduler. `run` and `agent` both
// probe; they differ only in where results go (the in-process collector, or the spool), so the
// composition lives here once instead of drifting apart in two commands.
import { randomBytes } from 'node:crypto';
import { readChannelCas, readSmppPassword, secretReader, type Config, type SecretReader } from '../config/index.js';
import type { IvrLine } from '../sandbox/ivr.js';
import { openProbeSafety, type ProbeSafety } from '../journal/probe-safety.js';
import type { Logger } from '../logging/logger.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import type { Registry } from 'prom-client';
import { observeSmppBinds, tlsCertificateGauge } from '../collector/metrics.js';
import { createProbers } from '../synthetic/probers/index.js';
import { ChannelRateLimiter } from '../synthetic/rate-limit.js';
import type { ProbeResult } from '../synthetic/result.js';
import { createRunner } from '../synthetic/runner.js';
import { Scheduler } from '../synthetic/scheduler.js';

/** What a probing process reads before it listens: secrets resolved, pools filled. */
export interface ProbeSetup {
  /** Reads the config's other secrets (admin token, ingest token) with the same environment. */
  readSecret: SecretReader;
  accountPools: Map<string, TestAccountPool>;
  /** Every test account of every pool, PIN resolved: what an embedded sandbox must know. */
  sandboxAccounts: Array<{ msisdn: string; pin: string }>;
  /** Each smpp channel's bind credentials, password resolved: what an embedded sandbox SMSC must know. */
  smscAccounts: Array<{ channel: string; systemId: string; password: string }>;
  /** Each sip channel's number and trunk credentials, password resolved: what an embedded sandbox IVR must know. */
  ivrLines: IvrLine[];
  /** The http channels' CA bundles (channels.<id>.tls.caFile), read now. */
  caByChannel: Map<string, Buffer>;
}

/**
 * Reads every test-account secret now: a missing one stops the start, not the 3 a.m. probe.
 * Throws ConfigError (CH_SECRET_MISSING) naming the account, or CH_CONFIG_INVALID naming a CA
 * file that cannot be read or an SMPP bind password longer than SMPP carries.
 */
export function prepareProbes(config: Config, env: NodeJS.ProcessEnv, log: Logger): ProbeSetup {
  const readSecret = secretReader(config.baseDir, sandboxEnvironment(config, env, log));
  const accountPools = new Map<string, TestAccountPool>();
  const resolved: Array<{ msisdn: string; pin: string }> = [];
  for (const [pool, accounts] of Object.entries(config.accounts)) {
    const pins = accounts.map((a, i) => ({ msisdn: a.msisdn, pin: a.pin ? readSecret(a.pin, `accounts.${pool}[${i}].pin`) : '' }));
    accountPools.set(pool, new TestAccountPool(pool, pins));
    resolved.push(...pins);
  }
  // Every account goes to the sandbox, duplicates included: one number with two PINs is a config
  // mistake the sandbox refuses at start (CH_SANDBOX_ACCOUNTS_INVALID), not a tie to break silently.
  const sandboxAccounts = resolved;
  // Only the binds a check will use: a channel nothing probes needs no password here.
  const probed = new Set(config.checks.map((c) => c.channel));
  const smscAccounts = config.channels.flatMap((c) =>
    c.smpp && probed.has(c.id) ? [{ channel: c.id, systemId: c.smpp.systemId, password: readSmppPassword(readSecret, { id: c.id, smpp: c.smpp }, config.source) }] : [],
  );
  // Only an embedded sandbox IVR needs the trunk passwords now; the prober reads one when challenged.
  const ivrLines = config.service.sandbox ? sipLines(config, readSecret) : [];
  return { readSecret, accountPools, sandboxAccounts, smscAccounts, ivrLines, caByChannel: readChannelCas(config) };
}

export interface ProbeEngineOptions {
  config: Config;
  setup: ProbeSetup;
  /** Base URL of the embedded sandbox (`http://host:port/sandbox`), when this process serves one. */
  sandboxUrl: string | null;
  /** The embedded sandbox SMSC (`smpp://host:port`), when this process runs one. */
  sandboxSmppUrl?: string | null;
  /** The embedded sandbox IVR (`sip:host:port`), when this process runs one. */
  sandboxSipUrl?: string | null;
  /** Where the SMPP bind-state and certificate-expiry gauges are registered; none when not given. */
  registry?: Registry;
  log: Logger;
  /** Receives every result exactly once, scheduled or manual. */
  onResult: (result: ProbeResult) => void;
  /** Journal and breakers (journal/probe-safety.ts); opened here, and closed on stop, when not given. */
  safety?: ProbeSafety;
}

export interface ProbeEngine {
  scheduler: Scheduler;
  /** The journal (for its gauge and API) and the breakers (for theirs). */
  safety: ProbeSafety;
  /** No new runs; waits for runs in flight (each bounded by its check's timeout). */
  stop(): Promise<void>;
}

/** Builds the runner and scheduler, reconciles the probe journal, and starts firing checks. */
export async function startProbeEngine(options: ProbeEngineOptions): Promise<ProbeEngine> {
  const { config, setup, log } = options;
  const safety = options.safety ?? openProbeSafety(config, log);
  const rateLimiters = new Map<string, ChannelRateLimiter>();
  for (const channel of config.channels) if (channel.rateLimitPerSecond !== null) rateLimiters.set(channel.id, new ChannelRateLimiter(channel.rateLimitPerSecond));
  const probers = createProbers({
    readSecret: setup.readSecret,
    log,
    caByChannel: setup.caByChannel,
    ...(options.registry ? { onCertificate: tlsCertificateGauge(options.registry) } : {}),
  });
  // Before the first firing: a call's prompt references would otherwise be built inside it.
  probers.prepare(config.channels);
  if (options.registry && config.channels.some((c) => c.transport === 'smpp')) {
    const smppChannels = config.channels.filter((c) => c.transport === 'smpp').map((c) => c.id);
    observeSmppBinds(options.registry, smppChannels, config.service.location, () => new Set(probers.bindStates().filter((b) => b.state === 'bound').map((b) => b.channel)));
  }
  const runner = createRunner({
    config,
    probers: probers.probers,
    sandboxSmppUrl: options.sandboxSmppUrl ?? null,
    sandboxSipUrl: options.sandboxSipUrl ?? null,
    accountPools: setup.accountPools,
    rateLimiters,
    sandboxUrl: options.sandboxUrl,
    location: config.service.location,
    ...(safety.journal ? { journal: safety.journal } : {}),
    breakers: safety.breakers,
    log,
  });
  // Runs a crash left unfinished are compensated before new ones start on the same accounts.
  await safety.startReconciling(runner);
  const scheduler = new Scheduler({
    checks: config.checks,
    runner,
    concurrency: config.service.concurrency,
    log,
    onResult: options.onResult,
    admit: (checkId) => safety.breakers.admit(checkId),
  });
  scheduler.start();
  return {
    scheduler,
    safety,
    stop: async () => {
      await scheduler.stop();
      await probers.close();
      if (options.safety === undefined) await safety.stop();
    },
  };
}

/**
 * With the sandbox embedded, the test accounts' PIN has no real owner: when the variable the
 * config names is unset, make a random one for this process instead of asking for a secret.
 */
export function sandboxEnvironment(config: Config, env: NodeJS.ProcessEnv, log: Logger): NodeJS.ProcessEnv {
  if (!config.service.sandbox) return env;
  const out = { ...env };
  for (const accounts of Object.values(config.accounts)) {
    for (const account of accounts) {
      if (account.pin && 'env' in account.pin && !out[account.pin.env]) {
        out[account.pin.env] = randomBytes(12).toString('base64url');
        log.info({ variable: account.pin.env }, 'sandbox embedded and the PIN variable is unset: using a random PIN for this process');
      }
    }
  }
  for (const channel of config.channels) {
    const ref = channel.smpp?.password;
    if (ref && 'env' in ref && !out[ref.env]) {
      // 8 characters: the most an SMPP bind password carries.
      out[ref.env] = randomBytes(6).toString('base64url');
      log.info({ variable: ref.env }, 'sandbox embedded and the SMPP password variable is unset: using a random password for this process');
    }
    const sipRef = channel.sip?.credentials?.password;
    if (sipRef && 'env' in sipRef && !out[sipRef.env]) {
      out[sipRef.env] = randomBytes(12).toString('base64url');
      log.info({ variable: sipRef.env }, 'sandbox embedded and the SIP trunk password variable is unset: using a random password for this process');
    }
  }
  return out;
}

/** The sip channels as the sandbox IVR answers them: number and trunk credentials, password read now. */
export function sipLines(config: Config, readSecret: SecretReader): IvrLine[] {
  return config.channels.flatMap((c) =>
    c.sip
      ? [{ channel: c.id, number: c.sip.number, username: c.sip.credentials?.username ?? null, password: c.sip.credentials ? readSecret(c.sip.credentials.password, `channels.${c.id}.sip.password`) : null }]
      : [],
  );
}
