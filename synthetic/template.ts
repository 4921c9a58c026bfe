// Rendering `{{ root.field }}` templates for one probe run. The grammar is shared with config
// validation (config/template-syntax.ts), so a reference that passed validation resolves here.
import { parseTemplate, type TemplatePart } from '../config/template-syntax.js';

export interface TemplateContext {
  channel: { id: string; baseUrl: string };
  transaction: { id: string; tier: string };
  account: { msisdn: string; pin: string } | null;
  run: { id: string; epochMs: string; month: string; prevMonth: string; checkId: string; location: string };
  /** `smppUrl` / `sipUrl` are set when the embedded sandbox SMSC / IVR listens. */
  sandbox: { url: string; smppUrl?: string; sipUrl?: string } | null;
  vars: Record<string, string>;
}

/** A reference with no value at run time: an extraction that did not happen, or no account. */
export class MissingValueError extends Error {
  constructor(readonly reference: string) {
    super(`${reference} has no value in this run`);
    this.name = 'MissingValueError';
  }
}

const parsed = new Map<string, TemplatePart[]>();

function partsOf(template: string): TemplatePart[] {
  let parts = parsed.get(template);
  if (!parts) {
    parts = parseTemplate(template);
    parsed.set(template, parts);
  }
  return parts;
}

export function renderTemplate(template: string, ctx: TemplateContext): string {
  const parts = partsOf(template);
  if (parts.length === 1 && parts[0]?.kind === 'text') return parts[0].text;
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const scope = (ctx as unknown as Record<string, Record<string, unknown> | null>)[part.root];
    const value = scope?.[part.path[0] as string];
    if (value === undefined || value === null) throw new MissingValueError(`{{${part.root}.${part.path.join('.')}}}`);
    out += String(value);
  }
  return out;
}

/** Renders every string inside a JSON value; numbers, booleans and null pass through. */
export function renderJson(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return renderTemplate(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, ctx));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderJson(v, ctx);
    return out;
  }
  return value;
}

/** YYYY-MM of the run's month and the month before, for statement queries. */
export function monthsOf(epochMs: number): { month: string; prevMonth: string } {
  const d = new Date(epochMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const fmt = (year: number, month: number) => `${year}-${String(month + 1).padStart(2, '0')}`;
  return { month: fmt(y, m), prevMonth: m === 0 ? fmt(y - 1, 11) : fmt(y, m - 1) };
}
