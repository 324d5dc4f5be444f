/**
 * A real headless browser for page tests: Debian's chromium, driven by
 * puppeteer-core (no browser download), on a lab host (test/harness/lab.ts).
 * The browser runs inside the host's network namespace, so `localhost` is
 * that host's own loopback, where its driver serves the page; puppeteer
 * talks to it over a pipe (`--remote-debugging-pipe`), which the
 * `nsenter … ip netns exec` wrapper passes through (each step execs the next).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { Availability, Lab } from './lab.js';

export const CHROMIUM = process.env.MSINET_CHROMIUM ?? '/usr/bin/chromium';

/** The flags a shared, offline, root CI machine needs. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function canUseChromium(): Availability {
  if (!existsSync(CHROMIUM))
    return { ok: false, why: `no browser at ${CHROMIUM} (apt-get install chromium)` };
  const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return version.status === 0
    ? { ok: true }
    : { ok: false, why: `${CHROMIUM} --version failed: ${version.stderr || String(version.error)}` };
}

export interface LabBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts chromium on `host` of `lab`; `close()` ends it and removes its profile. */
export async function launchBrowser(lab: Lab, host: string): Promise<LabBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-browser-'));
  const wrapper = join(dir, 'chromium-on-host');
  const command = lab.commandLine(host, CHROMIUM, []).map(shellQuote).join(' ');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${command} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await puppeteer.launch({
    executablePath: wrapper,
    headless: true,
    pipe: true,
    userDataDir: join(dir, 'profile'),
    args: FLAGS,
    timeout: 60_000,
    protocolTimeout: 60_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
