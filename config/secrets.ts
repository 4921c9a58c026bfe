// Secrets are read when needed, never copied into the config object or logged.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { Config, SecretRef } from './types.js';

export type SecretReader = (ref: SecretRef, where: string) => string;

/** Reads secrets from the process environment and from files relative to the config's folder. */
export function secretReader(baseDir: string, env: NodeJS.ProcessEnv = process.env): SecretReader {
  return (ref, where) => {
    if ('env' in ref) {
      const value = env[ref.env];
      if (value === undefined || value === '') {
        throw new ConfigError('CH_SECRET_MISSING', where, [{ path: where, message: `environment variable ${ref.env} is not set` }]);
      }
      return value;
    }
    const file = path.resolve(baseDir, ref.file);
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError('CH_SECRET_MISSING', where, [{ path: where, message: `cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
    }
  };
}

/** An SMPP 3.4 bind's password is a C-Octet String of at most 9 octets, its NUL included. */
export const SMPP_PASSWORD_MAX_OCTETS = 8;

/** Why a bind password cannot go on the wire (never quoting it), or null. */
export function smppPasswordProblem(value: string): string | null {
  const octets = Buffer.byteLength(value, 'utf8');
  return octets > SMPP_PASSWORD_MAX_OCTETS ? `holds ${octets} octets; an SMPP 3.4 bind password is at most ${SMPP_PASSWORD_MAX_OCTETS}` : null;
}

/**
 * Reads a channel's bind password and refuses one SMPP cannot carry, naming where (CH_CONFIG_INVALID):
 * an SMSC would refuse the bind, or a library cut it, and every probe fail as `connect` at 3 a.m.
 */
export function readSmppPassword(read: SecretReader, channel: { id: string; smpp: { password: SecretRef } }, source: string): string {
  const where = `channels.${channel.id}.smpp.password`;
  const value = read(channel.smpp.password, where);
  const problem = smppPasswordProblem(value);
  if (problem) throw new ConfigError('CH_CONFIG_INVALID', source, [{ path: where, message: `${describeSecretRef(channel.smpp.password)} ${problem}` }]);
  return value;
}

/** Where a secret is referenced, for messages; the value itself is never part of one. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `$${ref.env}` : `file ${ref.file}`;
}

/** One secret channel-health reads, where the config names it, and which commands read it. */
export interface SecretUse {
  path: string;
  ref: SecretRef;
  readBy: readonly string[];
  /** What the value itself must be (an SMPP password's length); a problem's message, or null. */
  check?: (value: string) => string | null;
}

/**
 * Every secret reference channel-health itself reads at start. Receivers' URLs and tokens are
 * not here: Alertmanager reads those (from alerting.alertmanager.secretsDir), not this process.
 */
export function secretUses(config: Config): SecretUse[] {
  const out: SecretUse[] = [];
  if (config.service.adminToken) out.push({ path: 'service.adminToken', ref: config.service.adminToken, readBy: ['run', 'collector'] });
  if (config.ingest.token) out.push({ path: 'ingest.token', ref: config.ingest.token, readBy: ['run', 'collector'] });
  if (config.agent.token) out.push({ path: 'agent.token', ref: config.agent.token, readBy: ['agent'] });
  for (const [pool, accounts] of Object.entries(config.accounts)) {
    accounts.forEach((a, i) => {
      if (a.pin) out.push({ path: `accounts.${pool}[${i}].pin`, ref: a.pin, readBy: ['run', 'agent', 'sandbox'] });
    });
  }
  // A probing process reads a bind password only for a channel some check probes; the sandbox
  // SMSC takes every smpp channel's.
  const probed = new Set(config.checks.map((c) => c.channel));
  for (const c of config.channels) {
    if (c.smpp) out.push({ path: `channels.${c.id}.smpp.password`, ref: c.smpp.password, readBy: probed.has(c.id) ? ['run', 'agent', 'sandbox'] : ['sandbox'], check: smppPasswordProblem });
  }
  return out;
}

/** Reads every use, collecting each missing secret (never its value) instead of stopping at the first. */
export function missingSecrets(uses: readonly SecretUse[], read: SecretReader): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const use of uses) {
    try {
      const value = read(use.ref, use.path);
      const problem = use.check?.(value);
      if (problem) problems.push({ path: use.path, message: `${describeSecretRef(use.ref)} ${problem}` });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) problems.push({ path: p.path, message: `${p.message} (read by ${use.readBy.join(', ')})` });
    }
  }
  return problems;
}
