// Every alert links its runbook: the section of docs/alerting.md its runbook_url points to must
// exist, in the rules generated from the shipped config and in the committed generated files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateRules } from '../../alerts/index.js';
import { parseConfig } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

const shipped = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of every heading of a repository file named by a runbook URL's path. */
function anchorsOf(url: URL): Set<string> {
  const file = path.join(REPO_ROOT, decodeURIComponent(url.pathname).replace(/^\//, ''));
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));
}

function checkRunbooks(urls: Array<{ alert: string; url: string }>): string[] {
  const problems: string[] = [];
  for (const { alert, url } of urls) {
    const parsed = new URL(url);
    const anchor = parsed.hash.slice(1);
    if (!anchor) problems.push(`${alert}: ${url} names no section`);
    else if (!anchorsOf(parsed).has(anchor)) problems.push(`${alert}: ${url}: no heading with anchor #${anchor} in ${parsed.pathname}`);
  }
  return problems;
}

describe('runbook links', () => {
  it('every alert generated from the shipped config points at a heading that exists', () => {
    const urls = generateRules(shipped).alerting.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, url: r.annotations.runbook_url as string })));
    expect(new Set(urls.map((u) => u.alert)).size).toBeGreaterThanOrEqual(8);
    expect(checkRunbooks(urls)).toEqual([]);
  });

  it('so does every runbook_url in the committed generated files', () => {
    for (const file of ['alerts/generated/alert-rules.yml', 'deploy/kubernetes/prometheus-rule.yaml']) {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      const urls = [...text.matchAll(/runbook_url: (\S+)/g)].map((m) => ({ alert: file, url: (m[1] as string).replace(/^['"]|['"]$/g, '') }));
      expect(urls.length, file).toBeGreaterThan(0);
      expect(checkRunbooks(urls), file).toEqual([]);
    }
  });

  it('fails for a heading that is not there', () => {
    expect(checkRunbooks([{ alert: 'X', url: 'http://h.invalid/docs/alerting.md#channelhealthnosuchalert' }])).toHaveLength(1);
    expect(checkRunbooks([{ alert: 'X', url: 'http://h.invalid/docs/alerting.md#channelhealthharddown' }])).toEqual([]);
  });
});
