// `channel-health generate`: config → pure generators → files. Every generator runs before the first
// file is written, so a config the generators refuse changes nothing on disk. `--check` writes
// nothing and fails when a committed file differs from a fresh generation (for CI).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { alertFiles, AlertsError, type GeneratedFile, type GenerateContext } from '../alerts/index.js';
import { ConfigError, loadConfigFile, type Config } from '../config/index.js';
import { generateDashboards } from '../dashboards/generate.js';
import { DEFAULT_CONFIG_FILE } from './check-config.js';
import { errorDocs } from './error-catalog.js';
import { EXIT, type CommandMain } from './command.js';

export interface GeneratorEntry {
  name: string;
  generate: (config: Config, ctx: GenerateContext) => GeneratedFile[] | Promise<GeneratedFile[]>;
}

/** Everything `generate` writes. A new kind of generated file is one more entry here. */
export const GENERATORS: GeneratorEntry[] = [
  { name: 'alerts', generate: alertFiles },
  { name: 'dashboards', generate: generateDashboards },
  // From the errors.ts declarations, not the config: docs/errors.md.
  { name: 'error codes', generate: errorDocs },
];

const USAGE = `Usage: channel-health generate [--config FILE] [--out DIR] [--check]

Writes the alert rules, Alertmanager config, Kubernetes PrometheusRule and dashboards generated
from FILE (default ${DEFAULT_CONFIG_FILE}), and docs/errors.md from the declared error codes,
under DIR (default the current folder).
  --check   write nothing; list files that differ from a fresh generation and exit 1 if any do
`;

/** Runs every generator; throws before anything is written. */
export async function generateAll(config: Config, ctx: GenerateContext, generators: readonly GeneratorEntry[] = GENERATORS): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const g of generators) files.push(...(await g.generate(config, ctx)));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two generators write ${f.path}`);
    seen.add(f.path);
  }
  return files;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export const main: CommandMain = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      out: { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length > 0) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const root = path.resolve(values.out ?? '.');
  const ctx: GenerateContext = { sourceName: path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/') };

  let files: GeneratedFile[];
  try {
    files = await generateAll(await loadConfigFile(file), ctx);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.describe()}\n`);
      return EXIT.badInput;
    }
    if (err instanceof AlertsError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.badInput;
    }
    throw err;
  }

  if (values.check) {
    const stale: string[] = [];
    for (const f of files) if ((await readIfExists(path.join(root, f.path))) !== f.content) stale.push(f.path);
    if (stale.length === 0) {
      io.stdout.write(`${files.length} generated files match ${ctx.sourceName}\n`);
      return EXIT.ok;
    }
    io.stderr.write(`CH_ALERTS_STALE: ${stale.length} generated file${stale.length === 1 ? '' : 's'} differ from ${ctx.sourceName}; run "channel-health generate" and commit:\n${stale.map((s) => `  ${s}\n`).join('')}`);
    return EXIT.failed;
  }

  for (const f of files) {
    const target = path.join(root, f.path);
    if ((await readIfExists(target)) === f.content) {
      io.stdout.write(`unchanged ${f.path}\n`);
      continue;
    }
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // Write-then-rename: Prometheus reloading mid-write never reads half a rule file.
      const temp = `${target}.${process.pid}.tmp`;
      await writeFile(temp, f.content);
      await rename(temp, target);
    } catch (err) {
      io.stderr.write(`CH_ALERTS_WRITE: ${f.path}: ${(err as Error).message}\n`);
      return EXIT.failed;
    }
    io.stdout.write(`wrote ${f.path}\n`);
  }
  return EXIT.ok;
};
