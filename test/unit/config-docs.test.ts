import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from '../../config/docs.js';
import { REPO_ROOT } from '../support/processes.js';

describe('docs/config.md', () => {
  it('is what the schema generates (run `npm run docs` after changing config/schema.ts)', () => {
    expect(readFileSync(path.join(REPO_ROOT, 'docs/config.md'), 'utf8')).toBe(renderConfigDocs());
  });
  it('documents every top-level field and nested check fields', () => {
    const docs = renderConfigDocs();
    for (const field of ['`version`', '`service.listen`', '`tiers.<id>.objective`', '`checks[].interval`', '`flows.<id>.steps[].request.url`', '`accounts.<id>[].pin`']) {
      expect(docs).toContain(field);
    }
  });
});
