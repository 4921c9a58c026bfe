// `npm run docs`: re-renders the recording-rules table of docs/metrics.md from the contract.
import { readFileSync, writeFileSync } from 'node:fs';
import { withRecordingRules } from './docs.js';

const file = process.argv[2] ?? 'docs/metrics.md';
writeFileSync(file, withRecordingRules(readFileSync(file, 'utf8')));
