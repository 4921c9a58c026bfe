// What could make the loader slow, huge or noisy is bounded: file size, YAML tokens, nesting,
// aliases, the length of an echoed value and the number of problems printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_CONFIG_TOKENS, parseConfig } from '../../config/index.js';
import { depthProblem, tokenProblem } from '../../config/limits.js';
import { REPO_ROOT } from '../support/processes.js';

const MINIMAL = readFileSync(path.join(REPO_ROOT, 'test/fixtures/config-valid/minimal.yaml'), 'utf8');
const SHIPPED = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'ch-config-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rejection(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('config limits', () => {
  it('leave the shipped config far inside them (the reasons docs/config.md gives)', () => {
    expect(Buffer.byteLength(SHIPPED)).toBeLessThan(MAX_CONFIG_BYTES / 50);
    expect(tokenProblem(SHIPPED)).toBeNull();
    expect(tokenProblem(SHIPPED.repeat(10))).toBeNull();
    expect(depthProblem(parseConfig(SHIPPED, 'channel-health.yaml'))).toBeNull();
  });

  it('a file over the byte limit is refused from its size, read no further than the limit', async () => {
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, `${MINIMAL}x-junk: "${'a'.repeat(5 * 1024 * 1024)}"\n`);
    const err = await loadConfigFile(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CH_CONFIG_TOO_LARGE');
    expect((err as ConfigError).describe()).toContain(`the file is ${Buffer.byteLength(MINIMAL) + 5 * 1024 * 1024 + 11} bytes; a config may be at most ${MAX_CONFIG_BYTES} bytes`);
  });

  it('a file exactly at the byte limit is parsed (and here refused for its unknown field only)', () => {
    const pad = MAX_CONFIG_BYTES - Buffer.byteLength(MINIMAL) - 'x-pad: ""\n'.length;
    const err = rejection(() => parseConfig(`${MINIMAL}x-pad: "${'a'.repeat(pad)}"\n`, 'edge.yaml'));
    expect(err.code).toBe('CH_CONFIG_INVALID');
    expect(err.describe()).toContain('x-pad: unknown field');
  });

  it('counts tokens up to the limit and no further', () => {
    const under = `${MINIMAL}x-junk: [${new Array(MAX_CONFIG_TOKENS / 4).fill('0').join(',')}]\n`;
    expect(tokenProblem(under)).toBeNull();
    const over = `${MINIMAL}x-junk: [${new Array(MAX_CONFIG_TOKENS).fill('0').join(',')}]\n`;
    expect(tokenProblem(over)?.message).toContain(`more than ${MAX_CONFIG_TOKENS} YAML tokens`);
  });

  it('refuses nesting deeper than the limit with the path where it goes too deep', () => {
    const nested = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    const ok = MINIMAL.replace('request: { url: "{{channel.baseUrl}}/balance" }', `request: { url: "{{channel.baseUrl}}/balance", json: ${nested(MAX_CONFIG_DEPTH - 8)} }`);
    expect(parseConfig(ok, 'ok.yaml').checks).toHaveLength(1);
    const deep = MINIMAL.replace('request: { url: "{{channel.baseUrl}}/balance" }', `request: { url: "{{channel.baseUrl}}/balance", json: ${nested(MAX_CONFIG_DEPTH + 5)} }`);
    const err = rejection(() => parseConfig(deep, 'deep.yaml'));
    expect(err.describe()).toContain('flows.balance_query.steps[0].request.json[0][0]');
    expect(err.describe()).toContain(`nested more than ${MAX_CONFIG_DEPTH} levels deep`);
  });

  it('says "nested too deeply" when the YAML parser itself gives up on the depth', () => {
    const err = rejection(() => parseConfig(`${MINIMAL}x-deep: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 'deeper.yaml'));
    expect(err.code).toBe('CH_CONFIG_PARSE');
    expect(err.describe()).toContain(`nested too deeply to parse; a config may nest at most ${MAX_CONFIG_DEPTH} levels`);
    expect(err.describe()).not.toContain('call stack');
  });

  it('cuts a huge value echoed in a message, keeping the path', () => {
    const huge = 'h'.repeat(300_000);
    const err = rejection(() => parseConfig(MINIMAL.replace('http://127.0.0.1:1/web', huge), 'huge.yaml'));
    const described = err.describe();
    expect(described).toContain('channels.web.baseUrl: must be an absolute URL (got "hhh');
    expect(described).toContain('more characters)');
    expect(described.length).toBeLessThan(2000);
    expect(err.message.length).toBeLessThan(2000);
  });

  it('prints the first hundred of many problems and counts the rest', () => {
    const extra = Array.from({ length: 250 }, (_, i) => `x_${i}: 1`).join('\n');
    const err = rejection(() => parseConfig(`${MINIMAL}${extra}\n`, 'many.yaml'));
    expect(err.problems).toHaveLength(250);
    const lines = err.describe().split('\n');
    expect(lines[0]).toBe('CH_CONFIG_INVALID: many.yaml: 250 problems');
    expect(lines).toHaveLength(1 + 100 + 1);
    expect(lines.at(-1)).toBe('  … and 150 more');
  });
});

describe('a cron node-cron validates but cannot schedule', () => {
  afterEach(() => {
    vi.doUnmock('node-cron');
    vi.resetModules();
  });

  it('is a problem at its path, never an exception from the loader', async () => {
    vi.resetModules();
    vi.doMock('node-cron', async (importOriginal) => {
      const original = (await importOriginal<{ default: Record<string, unknown> }>()).default;
      return {
        default: {
          ...original,
          createTask: () => {
            throw new Error('cannot schedule this');
          },
        },
      };
    });
    // A fresh module graph: its ConfigError is another class than the one imported above.
    const fresh = await import('../../config/index.js');
    const text = `${MINIMAL}checkDefaults: { cron: "0 * * * * *" }\n`;
    let err: unknown;
    try {
      fresh.parseConfig(text, 'cron.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(fresh.ConfigError);
    expect((err as ConfigError).describe()).toContain('checkDefaults.cron: "0 * * * * *" is not a valid cron expression: cannot schedule this');
  });
});
