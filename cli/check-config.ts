// `channel-health check-config [FILE]`: validate without starting anything.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { EXIT, type CommandMain } from './command.js';

export const DEFAULT_CONFIG_FILE = 'channel-health.yaml';

export const main: CommandMain = async (args, io) => {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write('Usage: channel-health check-config [FILE]\n\nValidates FILE (default channel-health.yaml); prints a summary, or every problem with its path and exits 2.\n');
    return EXIT.ok;
  }
  const file = positionals[0] ?? DEFAULT_CONFIG_FILE;
  try {
    const config = await loadConfigFile(file);
    const tiers = config.tiers.map((t) => `${t.id} ${t.objective} (${t.label})`).join(', ');
    const schedules = new Map<string, number>();
    for (const c of config.checks) {
      const key = c.schedule.kind === 'interval' ? `every ${c.schedule.intervalMs / 1000}s` : `cron "${c.schedule.expression}"`;
      schedules.set(key, (schedules.get(key) ?? 0) + 1);
    }
    io.stdout.write(
      [
        `${file}: OK`,
        `  location:     ${config.service.location}`,
        `  listen:       ${config.service.listen.host}:${config.service.listen.port}${config.service.sandbox ? ' (sandbox embedded under /sandbox/)' : ''}`,
        `  tiers:        ${tiers}`,
        `  backends:     ${config.backends.map((b) => b.id).join(', ')}`,
        `  channels:     ${config.channels.map((c) => c.id).join(', ')}`,
        `  transactions: ${config.transactions.map((t) => `${t.id} (${t.tier})`).join(', ')}`,
        `  checks:       ${config.checks.length} (${[...schedules].map(([k, n]) => `${n} ${k}`).join(', ')})`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
};
