// `channel-health demo` end to end with the real Prometheus and Alertmanager from the PATH: a
// billing fault injected through the API becomes a page, delivered to the built-in receiver,
// printed in the terminal and shown on the status page (open in headless Chromium, no reload)
// within 3 minutes; SIGINT (Ctrl-C) leaves no process of the demo and no state folder behind.
// Without the binaries it names their Debian packages and starts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, freePort, REPO_ROOT, waitFor } from '../support/processes.js';

const PAGE_WITHIN_MS = 180_000;

interface StatusDoc {
  cells: Array<{ transaction: string; state: string }>;
  notifications: Array<{ at: string; status: string; alerts: Array<{ name: string; severity: string; summary: string }> }> | null;
  alerts: { source: string | null; active: Array<{ name: string }> };
}

/** Processes whose command line mentions `text` (the demo's state folder), read from /proc. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('channel-health demo', () => {
  let proc: ChildProcess;
  let out = '';
  let url: string;
  let dir: string;
  let stateDir: string;
  let pids: number[];
  let browser: BrowserContext | undefined;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-demo-e2e-'));
    const port = await freePort();
    proc = spawn(process.execPath, [CLI, 'demo', '--listen', `127.0.0.1:${port}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CH_LOG_LEVEL: 'error' } });
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    await waitFor(() => (out.includes('Press Ctrl-C') ? true : undefined), 90_000, 'the demo to print its URLs', 200);
    url = `http://127.0.0.1:${port}`;
    expect(out).toContain(`status page    ${url}/`);
    pids = [...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    stateDir = (/state {10}(\S+)/.exec(out)?.[1] as string) ?? '';
    expect(pids).toHaveLength(2);
    expect(existsSync(stateDir)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('pages for a billing fault within 3 minutes: on the status page, to the built-in receiver, in the terminal', async () => {
    const status = async () => (await (await fetch(`${url}/api/v1/status`)).json()) as StatusDoc;
    // Healthy first: every pair has run, and the page reads the demo's Alertmanager.
    await waitFor(async () => ((await status()).cells.every((c) => c.state === 'met') ? true : undefined), 90_000, 'every pair met');
    expect((await status()).alerts.source).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    browser = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.locator('#grid button.cell').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#notifications-section').isVisible()).toBe(true);

    const billingPage = (s: StatusDoc, since: number) =>
      s.notifications?.find((n) => Date.parse(n.at) >= since && n.status === 'firing' && n.alerts.some((a) => a.severity === 'page' && a.name === 'ChannelHealthBackendSpreading' && a.summary.includes('billing')));
    // Healthy, nothing has paged for billing before the fault.
    expect(billingPage(await status(), 0)).toBeUndefined();

    const injected = Date.now();
    const res = await fetch(`${url}/sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: { backend: 'billing' }, mode: 'error', rate: 1 }) });
    expect(res.status, await res.text()).toBe(201);

    await waitFor(async () => billingPage(await status(), injected), PAGE_WITHIN_MS, 'the billing page at the built-in receiver', 500);
    const receivedAfter = Date.now() - injected;
    await waitFor(
      async () => {
        const text = (await page.locator('#notifications').textContent()) ?? '';
        return /FIRING/.test(text) && /ChannelHealthBackendSpreading.*backend billing/.test(text) ? true : undefined;
      },
      PAGE_WITHIN_MS - receivedAfter,
      'the page on the status page',
      250,
    );
    const shownAfter = Date.now() - injected;
    expect(out).toMatch(/alert FIRING to oncall: page ChannelHealthBackendSpreading[^\n]*backend billing/);
    // The active alerts, read from Alertmanager every 5 s, show it too.
    await waitFor(async () => (((await page.locator('#alerts').textContent()) ?? '').includes('ChannelHealthBackendSpreading') ? true : undefined), 20_000, 'the page among the active alerts', 250);
    await mkdir(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'test-artifacts/demo-page.png'), fullPage: true });
    process.stdout.write(`demo: billing page delivered ${receivedAfter} ms and shown ${shownAfter} ms after the fault (bound ${PAGE_WITHIN_MS} ms)\n`);
    expect(shownAfter).toBeLessThanOrEqual(PAGE_WITHIN_MS);
    await browser.close();
    browser = undefined;
  }, PAGE_WITHIN_MS + 120_000);

  it('stops every process it started on SIGINT and removes its state', async () => {
    expect(pids.every(alive)).toBe(true);
    expect(processesMentioning(stateDir).length).toBeGreaterThanOrEqual(2);
    proc.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  }, 60_000);

  it('names the Debian package of a missing binary and starts nothing', async () => {
    const port = await freePort();
    const bare = spawn(process.execPath, [CLI, 'demo', '--listen', `127.0.0.1:${port}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: dir } });
    let err = '';
    bare.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => bare.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('CH_DEMO_MISSING_BINARY: prometheus not found on the PATH: apt-get install prometheus');
    expect(err).toContain('CH_DEMO_MISSING_BINARY: prometheus-alertmanager not found on the PATH: apt-get install prometheus-alertmanager');
    expect(err).toContain('nothing was started');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
