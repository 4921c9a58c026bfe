// A referee for the sandbox SMSC: Perl's Net::SMPP (Debian libnet-smpp-perl), an SMPP client
// nobody here wrote, binds as a transceiver, texts CXYE to 10086 from a test number and gets the
// balance answer in Chinese (UCS2) from the same state the other channels read.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMSC_PASSWORD, startSandboxFixture, type SandboxFixture } from '../unit/journal-sandbox.js';
import { REPO_ROOT } from '../support/processes.js';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'test/fixtures/smpp/net-smpp-cxye.pl');

let fx: SandboxFixture;
beforeAll(async () => {
  fx = await startSandboxFixture();
});
afterAll(async () => {
  await fx?.close();
});

const port = () => new URL(fx.smppUrl.replace('smpp:', 'http:')).port;
const perl = async (...args: string[]) => {
  try {
    const { stdout } = await run('perl', [SCRIPT, port(), ...args], { timeout: 20_000 });
    return stdout;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? String(err);
  }
};

describe('Net::SMPP against the sandbox SMSC', () => {
  it('binds, sends CXYE and receives the Chinese balance reply', async () => {
    const balance = (await fx.balances())['13900000003'] as number;
    const out = await perl('chprobe', SMSC_PASSWORD, '13900000003');
    expect(out).toContain('bind_status=0\n');
    expect(out).toContain('submit_status=0\n');
    expect(out).toContain('reply_to=13900000003\n');
    expect(out).toContain('data_coding=8\n');
    expect(out).toContain(`reply=尊敬的客户，您的账户余额为${balance.toFixed(2)}元。【营业厅】\n`);
  });

  it('refuses a bind with the wrong password (ESME_RINVPASWD)', async () => {
    const out = await perl('chprobe', 'wrong', '13900000003');
    expect(out).toContain(`bind_status=${0x0e}\n`);
  });

  it('does not route a number that is not a test subscriber (ESME_RINVSRCADR)', async () => {
    const out = await perl('chprobe', SMSC_PASSWORD, '13812345678');
    expect(out).toContain(`submit_status=${0x0a}\n`);
  });
});
