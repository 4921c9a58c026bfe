// docs/config.md is generated from the schema's descriptions, so the reference cannot drift
// from what the loader accepts. `npm run docs` rewrites it; a test fails when it is stale.
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
  return `${out.join('\n')}\n`;
}
