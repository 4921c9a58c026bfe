import { describe, expect, it } from 'vitest';
import { compileJsonPath, readJsonPath } from '../../config/json-path.js';
import { parseTemplate } from '../../config/template-syntax.js';
import { MissingValueError, monthsOf, renderJson, renderTemplate, type TemplateContext } from '../../synthetic/template.js';

const ctx = (): TemplateContext => ({
  channel: { id: 'web', baseUrl: 'http://127.0.0.1:1/web' },
  transaction: { id: 'topup', tier: 'core' },
  account: { msisdn: '13900000001', pin: 'p1n' },
  run: { id: 'r1', epochMs: '1700000000000', month: '2023-11', prevMonth: '2023-10', checkId: 'web.topup', location: 'local' },
  sandbox: null,
  vars: { token: 'tok', n: '0' },
});

describe('templates', () => {
  it('renders references inside text, with and without spaces', () => {
    expect(renderTemplate('{{channel.baseUrl}}/x?m={{ account.msisdn }}&t={{vars.token}}', ctx())).toBe('http://127.0.0.1:1/web/x?m=13900000001&t=tok');
  });
  it('keeps falsy-looking values such as "0"', () => {
    expect(renderTemplate('n={{vars.n}}', ctx())).toBe('n=0');
  });
  it('throws MissingValueError naming the reference when a value is absent', () => {
    expect(() => renderTemplate('{{vars.orderId}}', ctx())).toThrow(MissingValueError);
    expect(() => renderTemplate('{{vars.orderId}}', ctx())).toThrow('{{vars.orderId}} has no value in this run');
    expect(() => renderTemplate('{{sandbox.url}}', ctx())).toThrow('{{sandbox.url}}');
  });
  it('renders every string of a JSON body and leaves other values alone', () => {
    expect(renderJson({ a: '{{account.msisdn}}', n: 1, b: [true, null, 'x{{run.id}}'] }, ctx())).toEqual({ a: '13900000001', n: 1, b: [true, null, 'xr1'] });
  });
  it('rejects malformed references at parse time', () => {
    expect(() => parseTemplate('{{ vars.a ')).toThrow('malformed template reference');
    expect(() => parseTemplate('a }} b')).toThrow('malformed');
    expect(parseTemplate('plain')).toEqual([{ kind: 'text', text: 'plain' }]);
  });
  it('computes the run month and the month before across a year boundary', () => {
    expect(monthsOf(Date.UTC(2026, 0, 15))).toEqual({ month: '2026-01', prevMonth: '2025-12' });
    expect(monthsOf(Date.UTC(2026, 10, 23))).toEqual({ month: '2026-11', prevMonth: '2026-10' });
  });
});

describe('JSON paths', () => {
  const doc = { data: { offers: [{ planId: 'P58' }], 'odd-key': 3 }, code: '0000' };
  it('reads dotted, indexed and quoted segments', () => {
    expect(readJsonPath(doc, compileJsonPath('$.data.offers[0].planId'))).toBe('P58');
    expect(readJsonPath(doc, compileJsonPath('$["code"]'))).toBe('0000');
    expect(readJsonPath(doc, compileJsonPath('$.data.odd-key'))).toBe(3);
    expect(readJsonPath(doc, compileJsonPath('$'))).toBe(doc);
  });
  it('returns undefined for a missing segment instead of throwing', () => {
    expect(readJsonPath(doc, compileJsonPath('$.data.offers[3].planId'))).toBeUndefined();
    expect(readJsonPath(doc, compileJsonPath('$.code.length.x'))).toBeUndefined();
  });
  it('rejects paths that do not start at $ or have bad syntax', () => {
    expect(() => compileJsonPath('data.x')).toThrow('must start with $');
    expect(() => compileJsonPath('$.a[x]')).toThrow('bad JSON path at character 3');
  });
});
