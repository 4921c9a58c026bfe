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

/** Where a secret is referenced, for messages; the value itself is never part of one. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `$${ref.env}` : `file ${ref.file}`;
}

/** One secret channel-health reads, where the config names it, and which commands read it. */
export interface SecretUse {
  path: string;
  ref: SecretRef;
  readBy: readonly string[];
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
  return out;
}

/** Reads every use, collecting each missing secret (never its value) instead of stopping at the first. */
export function missingSecrets(uses: readonly SecretUse[], read: SecretReader): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const use of uses) {
    try {
      read(use.ref, use.path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) problems.push({ path: p.path, message: `${p.message} (read by ${use.readBy.join(', ')})` });
    }
  }
  return problems;
}
