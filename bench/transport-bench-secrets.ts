// The made-up credentials the transport-cost bench's sandbox and prober share (loopback only).
export const BENCH_PIN = 'bench-pin';
export const BENCH_SMSC_PASSWORD = 'bench-pw';
export const BENCH_IVR_PASSWORD = 'bench-ivr-pw';
