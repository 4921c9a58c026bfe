// `channel-health check-config [FILE]`: validate without starting anything.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, missingSecrets, secretReader, secretUses, type Config } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import { EXIT, type CommandMain, type CliIO } from './command.js';
import { sandboxEnvironment } from './probe-engine.js';

export const DEFAULT_CONFIG_FILE = 'channel-health.yaml';

const HELP = `Usage: channel-health check-config [--no-secrets] [FILE]

Validates FILE (default channel-health.yaml); prints a summary, or every problem with its path and exits 2.
Also reads every secret the config references (PINs, admin, ingest and agent tokens) from this
environment, as run, collector and agent would at start, and names each one missing; values are
never printed. --no-secrets skips that, for a machine that is not where the service runs (CI).
`;

export const main: CommandMain = async (args, io) => {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, 'no-secrets': { type: 'boolean' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const file = positionals[0] ?? DEFAULT_CONFIG_FILE;
  try {
    const config = await loadConfigFile(file);
    const secrets = values['no-secrets'] ? 'not checked (--no-secrets)' : checkSecrets(config, io);
    io.stdout.write(summary(file, config, secrets));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
};

/** Throws CH_SECRET_MISSING naming every missing secret; returns the summary line otherwise. */
function checkSecrets(config: Config, io: CliIO): string {
  const uses = secretUses(config);
  // The same environment run and agent read with: with the sandbox embedded, an unset PIN
  // variable gets a random PIN for the process rather than stopping it.
  const env = sandboxEnvironment(config, io.env, createLogger({ level: 'silent' }));
  const problems = missingSecrets(uses, secretReader(config.baseDir, env));
  if (problems.length > 0) throw new ConfigError('CH_SECRET_MISSING', config.source, problems);
  return uses.length === 0 ? 'none referenced' : `${uses.length} referenced, all readable here`;
}

function summary(file: string, config: Config, secrets: string): string {
  const tiers = config.tiers.map((t) => `${t.id} ${t.objective} (${t.label})`).join(', ');
  const schedules = new Map<string, number>();
  for (const c of config.checks) {
    const key = c.schedule.kind === 'interval' ? `every ${c.schedule.intervalMs / 1000}s` : `cron "${c.schedule.expression}"`;
    schedules.set(key, (schedules.get(key) ?? 0) + 1);
  }
  return [
    `${file}: OK`,
    `  location:     ${config.service.location}`,
    `  listen:       ${config.service.listen.host}:${config.service.listen.port}${config.service.sandbox ? ' (sandbox embedded under /sandbox/)' : ''}`,
    `  tiers:        ${tiers}`,
    `  backends:     ${config.backends.map((b) => b.id).join(', ')}`,
    `  channels:     ${config.channels.map((c) => c.id).join(', ')}`,
    `  transactions: ${config.transactions.map((t) => `${t.id} (${t.tier})`).join(', ')}`,
    `  checks:       ${config.checks.length} (${[...schedules].map(([k, n]) => `${n} ${k}`).join(', ')})`,
    `  secrets:      ${secrets}`,
    '',
  ].join('\n');
}
