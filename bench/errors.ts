// Errors raised by bench/: the harness could not measure. Declared once (contract/error-codes.ts).
// A figure that misses its goal is never an error; it is printed and recorded as measured.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const BenchErrorCodes = declareErrors(
  {
    title: 'Benchmarks',
    file: 'bench/errors.ts',
    intro: '`npm run bench` prints `bench: CODE: message`. A figure that misses its goal is not an error: it is printed and recorded as measured (docs/performance.md).',
  },
  {
    CH_BENCH_USAGE: { exit: 2, description: 'A flag has a bad value, e.g. `--only` names a part other than probe, schedule, scrape, memory.' },
    CH_BENCH_NOT_BUILT: { exit: 1, description: 'A worker under `dist/bench/` is missing: build first (`npx tsc -p tsconfig.json`).' },
    CH_BENCH_WORKER_FAILED: { exit: 1, description: 'A bench child process failed, exited early (its stderr is in the message) or did not answer in time.' },
    CH_BENCH_BLACKBOX_UNAVAILABLE: { exit: 1, description: '`/usr/bin/prometheus-blackbox-exporter` (or `BENCH_BLACKBOX_EXPORTER`) is not installed or did not become healthy within 15 s.' },
  },
);

export type BenchErrorCode = CodeOf<typeof BenchErrorCodes>;

export class BenchError extends errorClass(BenchErrorCodes, 'BenchError') {}
