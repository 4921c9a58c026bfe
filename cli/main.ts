#!/usr/bin/env node
// The channel-health command: one table of subcommands, each loaded only when used.
import { EXIT, UsageError, type CliIO, type CommandMain } from './command.js';
import { VERSION } from './version.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<{ main: CommandMain }>;
}

const COMMANDS: Record<string, CommandEntry> = {
  run: { summary: 'scheduler, probes and collector in one process (the default)', load: () => import('./run.js') },
  'check-config': { summary: 'validate a config file and its secrets, and print a summary', load: () => import('./check-config.js') },
  generate: { summary: 'write alert rules, Alertmanager config and dashboards from the config', load: () => import('./generate.js') },
  report: { summary: 'write the weekly capacity-tuning report from Prometheus', load: () => import('./report.js') },
  sandbox: { summary: 'run the simulated operator back end alone', load: () => import('./sandbox.js') },
  agent: { summary: 'probes only, at one location; spools results and pushes them to collectors', load: () => import('./agent.js') },
  silence: { summary: 'create, list or expire an Alertmanager silence for channels, backends or transactions', load: () => import('./silence.js') },
  demo: { summary: 'run plus Prometheus and Alertmanager from the PATH, wired together, with alerts on the status page', load: () => import('./demo.js') },
  collector: { summary: 'no probes; takes results from agents and real events, serves /metrics', load: () => import('./collector.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `channel-health ${VERSION}\n\nUsage: channel-health <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "channel-health <command> --help" for a command's options.\n`;
}

export async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  // Options before any command mean `run` (e.g. `channel-health --config x.yaml`).
  const entry = name.startsWith('-') ? COMMANDS.run : COMMANDS[name];
  const args = name.startsWith('-') ? argv : rest;
  if (!entry) {
    io.stderr.write(`channel-health: unknown command "${name}"\n\n${usage()}`);
    return EXIT.badInput;
  }
  try {
    const { main } = await entry.load();
    return await main(args, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.stderr.write(`channel-health ${name}: ${(err as Error).message}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
}

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env };
dispatch(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`channel-health: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.failed;
  },
);
