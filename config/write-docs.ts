// `npm run docs`: rewrites docs/config.md from the schema.
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from './docs.js';

writeFileSync(process.argv[2] ?? 'docs/config.md', renderConfigDocs());
