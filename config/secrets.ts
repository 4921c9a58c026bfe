// Secrets are read when needed, never copied into the config object or logged.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import type { SecretRef } from './types.js';

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
