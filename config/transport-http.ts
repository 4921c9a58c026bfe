// The http transport's slice of a channel's config: how its TLS certificates are verified.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_DEFAULTS } from './defaults.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { RawConfig } from './schema.js';
import type { ChannelTlsSettings, Config } from './types.js';

type RawChannel = RawConfig['channels'][string];

export function normalizeChannelTls(c: RawChannel, where: string, baseDir: string, problems: ConfigProblem[]): ChannelTlsSettings | null {
  if (!c.tls) return null;
  if (c.transport !== 'http') {
    problems.push({ path: `${where}.tls`, message: `only applies to transport http (transport is ${c.transport})` });
    return null;
  }
  return { caFile: c.tls.caFile === undefined ? null : path.resolve(baseDir, c.tls.caFile), insecureSkipVerify: c.tls.insecureSkipVerify ?? CONFIG_DEFAULTS.tls.insecureSkipVerify };
}

/**
 * Reads every http channel's CA file now, so a missing or wrong one stops the start instead of
 * failing each probe later. Throws ConfigError (CH_CONFIG_INVALID) naming each channel's caFile.
 */
export function readChannelCas(config: Config): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const problems: ConfigProblem[] = [];
  for (const channel of config.channels) {
    const file = channel.tls?.caFile;
    if (!file) continue;
    const where = `channels.${channel.id}.tls.caFile`;
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (err) {
      problems.push({ path: where, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push({ path: where, message: `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
      continue;
    }
    out.set(channel.id, pem);
  }
  if (problems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', config.source, problems);
  return out;
}
