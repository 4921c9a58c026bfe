// Every folder's declared error codes in one list, in the order docs/errors.md shows them, and the
// generator that renders docs/errors.md from them (`channel-health generate` writes it,
// `generate --check` fails when the committed file differs). A folder with a new errors.ts adds
// one line here; test/unit/errors-documented.test.ts fails until it does.
import { AgentErrorCodes } from '../agent/errors.js';
import { AlertsErrorCodes } from '../alerts/errors.js';
import type { GeneratedFile } from '../alerts/index.js';
import { BenchErrorCodes } from '../bench/errors.js';
import { CollectorErrorCodes } from '../collector/errors.js';
import { ConfigErrorCodes } from '../config/errors.js';
import { renderErrorDocs, type ErrorSection } from '../contract/error-codes.js';
import { JournalErrorCodes } from '../journal/errors.js';
import { ReportErrorCodes } from '../report/errors.js';
import { SandboxErrorCodes } from '../sandbox/errors.js';
import { StatusErrors } from '../status/errors.js';
import { SyntheticErrorCodes } from '../synthetic/errors.js';
import { CliErrorCodes } from './errors.js';

export const ERROR_SECTIONS: readonly ErrorSection[] = [
  CliErrorCodes,
  ConfigErrorCodes,
  SyntheticErrorCodes,
  CollectorErrorCodes,
  StatusErrors,
  ReportErrorCodes,
  SandboxErrorCodes,
  JournalErrorCodes,
  AgentErrorCodes,
  BenchErrorCodes,
  AlertsErrorCodes,
];

export const ERROR_DOCS_PATH = 'docs/errors.md';

const PREAMBLE = `# Error codes

Every error channel-health reports has a stable code, declared once in its folder's \`errors.ts\`
through one factory (\`contract/error-codes.ts\`) with the HTTP status an API answers with and the
exit code a command stops with (— where it has none). The CLI prints \`CODE: where: why\`; the HTTP
API answers \`{ "error": { "code": "CODE", "message": "field: why" } }\` with the status shown.
This file is generated from those declarations by \`channel-health generate\`.`;

export function errorDocs(): GeneratedFile[] {
  return [{ path: ERROR_DOCS_PATH, content: renderErrorDocs(PREAMBLE, ERROR_SECTIONS) }];
}
