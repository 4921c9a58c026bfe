// docs/config.md is generated from the schema's descriptions, so the reference cannot drift
// from what the loader accepts. `npm run docs` rewrites it; a test fails when it is stale.
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_CONFIG_TOKENS, MAX_YAML_ALIASES } from './limits.js';
import { ConfigSchema } from './schema.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) {
    if (s.anyOf.every((b) => b.const !== undefined)) return s.anyOf.map((b) => JSON.stringify(b.const)).join(' \\| ');
    return [...new Set(s.anyOf.map(typeOf))].join(' \\| ');
  }
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object') {
    if (s.properties && Object.keys(s.properties).length === 1 && 'env' in s.properties) return 'secret ref';
    if (s.properties && Object.keys(s.properties).length === 1 && 'file' in s.properties) return 'secret ref';
    if (s.patternProperties) return 'map';
    return 'object';
  }
  if (s.type === undefined) return 'any';
  return Array.isArray(s.type) ? s.type.join(' \\| ') : s.type;
}

function bounds(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  const props = schema.properties ?? {};
  for (const [name, child] of Object.entries(props)) {
    const path = `${prefix}${name}`;
    const required = schema.required?.includes(name) ? 'yes' : '';
    out.push(`| \`${path}\` | ${typeOf(child)}${bounds(child)} | ${required} | ${(child.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    nested(child, path, out);
  }
}

function nested(child: JsonSchema, path: string, out: string[]): void {
  if (child.type === 'object' && child.properties && typeOf(child) !== 'secret ref') rows(child, `${path}.`, out);
  const mapValue = child.patternProperties ? Object.values(child.patternProperties)[0] : undefined;
  if (mapValue) {
    if (mapValue.type === 'object' && mapValue.properties) rows(mapValue, `${path}.<id>.`, out);
    if (mapValue.type === 'array' && mapValue.items?.properties) rows(mapValue.items, `${path}.<id>[].`, out);
  }
  if (child.type === 'array' && child.items?.type === 'object' && child.items.properties) rows(child.items, `${path}[].`, out);
  for (const branch of child.anyOf ?? []) if (branch.type === 'object' && branch.properties && typeOf(branch) !== 'secret ref') rows(branch, `${path}.`, out);
}

export function renderConfigDocs(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from config/schema.ts by `npm run docs`; DO NOT EDIT. -->',
    '',
    'One YAML file (the shipped default is `channel-health.yaml`). Validate it with',
    '`channel-health check-config FILE`: every problem is printed with its path and the command exits 2.',
    'Secrets are never inline: a secret ref is `{ env: NAME }` or `{ file: PATH }` (relative to the config file).',
    'Templates (`{{channel.baseUrl}}`, `{{account.msisdn}}`, `{{account.pin}}`, `{{vars.NAME}}`, `{{run.id}}`,',
    '`{{run.month}}`, `{{run.prevMonth}}`, `{{run.epochMs}}`, `{{run.checkId}}`, `{{run.location}}`, `{{sandbox.url}}`)',
    'are checked when the config is loaded: a `vars` reference must be extracted by an earlier step.',
    '',
    '| field | type | required | description |',
    '| --- | --- | --- | --- |',
  ];
  rows(ConfigSchema as unknown as JsonSchema, '', out);
  out.push(
    '',
    '## Limits',
    '',
    'A config is a hand-written file of a few hundred lines (the shipped one is 21 KiB, 32 checks). A file far',
    'beyond that is a mistake or an attack, and parsing it would cost seconds and gigabytes before any',
    'problem could be named (a 4 MB list once took 13 s and 2 GB, and aborted a process with a 1 GB heap).',
    'So it is refused first, cheaply, with `CH_CONFIG_TOO_LARGE` or `CH_CONFIG_PARSE` and exit 2:',
    '',
    `- **${MAX_CONFIG_BYTES} bytes** (1 MiB, about 50 times the shipped config): checked from the file's size; no more than that is read.`,
    `- **${MAX_CONFIG_TOKENS} YAML tokens** (about 35 times the shipped config's 2,836): counted by the YAML lexer, which builds nothing, before the`,
    '  document is composed. Composing costs memory per node, so this bounds the parse: 1 MiB of one-character',
    '  list items would be half a million nodes.',
    `- **${MAX_CONFIG_DEPTH} levels of nesting** (the deepest documented field is 8 levels down; JSON bodies need a few more).`,
    `- **Aliases**: the YAML library's bound of ${MAX_YAML_ALIASES} alias uses, weighted by the size of what each copies, so a`,
    '  "billion laughs" file is refused before it expands.',
    '',
    'Problems echo values at most 300 characters long, and the first 100 problems are printed with a count of the rest.',
    '',
    '## Secrets',
    '',
    '`check-config` also reads every secret the service reads at start (`service.adminToken`, `ingest.token`,',
    '`agent.token`, each account\'s `pin`) from the environment it runs in, and names each missing one with its path and',
    'the commands that read it (`CH_SECRET_MISSING`, exit 2); values are never printed. With `service.sandbox: true` an',
    'unset PIN variable is not missing: `run` and `agent` use a random PIN then. Receivers\' references are read by',
    'Alertmanager, not checked here. On a machine that is not where the service runs (CI), pass `--no-secrets`.',
  );
  return `${out.join('\n')}\n`;
}
