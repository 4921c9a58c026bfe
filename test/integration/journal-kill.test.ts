// Nothing lost, nobody harmed: `channel-health run` is killed with SIGKILL at random points while
// it tops up test accounts on a separately running sandbox, and restarted each time: at least six
// times and until three kills have left journal work and one money out (up to fifteen, within a
// minute). After a last clean start (which reconciles) and a clean stop, every balance is what it was at the start
// and the journal has nothing pending. Real processes, loopback only.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort } from '../support/processes.js';
import { RunLauncher, balances, expectEverythingUndone, killAll, killRepeatedly, launchCli, reconcileOnly, waitListening, type Proc } from '../support/kill-harness.js';

const PIN = 'kill-test-pin-7d1e';
const secrets = { pin: PIN, smscPassword: 'kill-pw1' };
const MAX_KILLS = 15;
/** Starting `run` takes 1 s on an idle machine and 5 s or more on a busy one; the file must stay under 2 minutes. */
const KILL_PHASE_MS = 60_000;
const MIN_KILLS = 6;

describe('SIGKILL during top-ups', () => {
  let dir: string;
  let configFile: string;
  let finalConfigFile: string;
  let journalFile: string;
  let sandbox: Proc;
  let sandboxUrl: string;
  const runs = new RunLauncher(secrets);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-kill-'));
    const port = await freePort();
    sandboxUrl = `http://127.0.0.1:${port}/sandbox`;
    const shipped = await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');
    const text = shipped
      .replace(/\{\{sandbox\.url\}\}/g, sandboxUrl)
      // The SMS hall's top-up has its own kill test (journal-kill-sms.test.ts); here only HTTP
      // (the sms channel stays configured, so its bind password is still read at start).
      .replace(/^ {2}- \{ channel: (?:sms|ivr), .*\n/gm, '')
      .replace('{{sandbox.smppUrl}}', 'smpp://127.0.0.1:2775')
      .replace('{{sandbox.sipUrl}}', 'sip:127.0.0.1:5060')
      .replace('sandbox: true', 'sandbox: false\n  journal: { path: journal.sqlite, reconcileInterval: 2s }')
      .replace('interval: 30s', 'interval: 1s')
      .replace('timeout: 10s', 'timeout: 900ms')
      .replace('transactions: "*"', 'transactions: [topup]');
    configFile = path.join(dir, 'kill.yaml');
    journalFile = path.join(dir, 'journal.sqlite');
    await writeFile(configFile, text);
    finalConfigFile = path.join(dir, 'final.yaml');
    await writeFile(finalConfigFile, reconcileOnly(text));
    sandbox = launchCli(['sandbox', '--config', configFile, '--listen', `127.0.0.1:${port}`], secrets);
    await waitListening(sandbox, `${sandboxUrl}/accounts`, 'the sandbox');
    // Top-ups, verifications and refunds (backend payment) take 0–150 ms longer, so a kill at a
    // random instant usually lands inside a top-up rather than between runs.
    const res = await fetch(`${sandboxUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { backend: 'payment' }, mode: 'latency', latencyMs: 150, rate: 0.7, durationSeconds: 600 }),
    });
    expect(res.status).toBe(201);
  });

  afterAll(async () => {
    await killAll([runs.current, sandbox]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves every balance as it was and nothing pending in the journal', async () => {
    const start = await balances(sandboxUrl);
    expect(Object.keys(start)).toHaveLength(8);
    // Anywhere from the start-up reconciliation to a few rounds of top-ups.
    const { kills, leavingWork, withMoneyOut } = await killRepeatedly({ runs, configFile, journalFile, sandboxUrl, start, minKills: MIN_KILLS, maxKills: MAX_KILLS, phaseMs: KILL_PHASE_MS, minDelayMs: 150, spreadMs: 1600, enough: (t) => t.leavingWork >= 3 && t.withMoneyOut >= 1 });
    // The kills really did interrupt money moving: work was left for the next start.
    expect(leavingWork, `${kills} kills`).toBeGreaterThanOrEqual(3);
    expect(withMoneyOut).toBeGreaterThanOrEqual(1);

    // A clean start that only reconciles finishes what the kills left: every balance back, the
    // journal closed, each kill's work compensated, no credential in its files.
    await expectEverythingUndone({ runs, finalConfigFile, journalFile, sandboxUrl, start, leavingWork, secret: PIN });
  }, 115_000);
});
