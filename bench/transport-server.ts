// Child process: the far side of the transport-cost bench, the sandbox (HTTP channel APIs), its
// SMSC and its IVR on loopback with the shipped config's channels and test accounts, kept out of
// the processes whose CPU is measured.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/index.js';
import { buildSandboxApp } from '../sandbox/app.js';
import { startSandboxIvr } from '../sandbox/ivr.js';
import { startSandboxSmsc } from '../sandbox/smsc.js';
import { createSandboxState } from '../sandbox/state.js';
import { REPO_ROOT } from './child.js';
import { BENCH_IVR_PASSWORD, BENCH_PIN, BENCH_SMSC_PASSWORD } from './transport-bench-secrets.js';

const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), path.join(REPO_ROOT, 'channel-health.yaml'));
const accounts = Object.values(config.accounts)
  .flat()
  .map((a) => ({ msisdn: a.msisdn, pin: BENCH_PIN }));
const state = createSandboxState({ config, accounts });
const app = buildSandboxApp({ config, accounts, state });
await app.listen({ host: '127.0.0.1', port: 0 });
const smsc = await startSandboxSmsc({ state, config, accounts: [{ channel: 'sms', systemId: 'chprobe', password: BENCH_SMSC_PASSWORD }] });
const ivr = await startSandboxIvr({ state, lines: [{ channel: 'ivr', number: '10086', username: 'chprobe', password: BENCH_IVR_PASSWORD }] });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.send?.({ type: 'ready', sandboxUrl: `http://127.0.0.1:${port}/sandbox`, smppUrl: smsc.url, sipUrl: ivr.url });
process.on('disconnect', () => {
  void ivr
    .close()
    .then(() => smsc.close())
    .then(() => app.close())
    .then(() => process.exit(0));
});
