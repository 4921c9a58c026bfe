// Errors raised by bench/: the harness could not measure (docs/errors.md lists the codes). A
// figure that misses its goal is never an error; it is printed and recorded as measured.
export const BenchErrorCodes = {
  CH_BENCH_USAGE: 'A bench flag has a bad value (e.g. --only names an unknown part). Exit 2.',
  CH_BENCH_NOT_BUILT: 'dist/bench/ is missing a worker: build first (npx tsc -p tsconfig.json).',
  CH_BENCH_WORKER_FAILED: 'A bench child process failed, exited early or did not answer in time.',
  CH_BENCH_BLACKBOX_UNAVAILABLE: 'prometheus-blackbox-exporter is not installed or did not become healthy.',
} as const;

export type BenchErrorCode = keyof typeof BenchErrorCodes;

export class BenchError extends Error {
  readonly code: BenchErrorCode;
  constructor(code: BenchErrorCode, message: string) {
    super(message);
    this.name = 'BenchError';
    this.code = code;
  }
}
