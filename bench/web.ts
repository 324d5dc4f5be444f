/**
 * `node --import tsx bench/web.ts [rounds]`: what the web endpoint costs.
 *
 * 1. Round trip of a `status` request, sequentially, over the Unix socket and
 *    over the WebSocket of one real msInetDriver process (`--http`, asleep:
 *    `status` never wakes it), after a warm-up.
 * 2. The page's update latency, in Debian's chromium (puppeteer-core) on the
 *    page of an endpoint served in this process over a hub with one remote:
 *    - an event: from `hub.deliver` (what the driver calls at an event's
 *      delivery date) to its line in the page's monitor, and to the next
 *      animation frame after it (when it is on screen);
 *    - a statistic: from the moment `stats()` answers a new `late` count to
 *      the page's figure showing it (the page asks for pushes every 30 ms).
 *    Both clocks are `performance.timeOrigin + performance.now()`, one in
 *    each process, on the same machine.
 *
 * Needs `npm run build` (the page's scripts) and /usr/bin/chromium. Prints
 * markdown tables; never run by the tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import WebSocket from 'ws';
import { createHub } from '../src/sinks/hub.js';
import { serveHttp } from '../src/sources/http-endpoint.js';
import { connectEndpoint } from '../src/tool/endpoint-client.js';
import { CHROMIUM } from '../test/harness/browser.js';
import { loadAverage, machineLine, watchCpuPressure } from './lan-machine.js';

const ROUNDS = Number(process.argv[2] ?? 1000);
const WARM_UP = 100;
const TRIALS = 200;
const now = (): number => performance.timeOrigin + performance.now();

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const ms = (v: number) => (v < 10 ? v.toFixed(3) : v.toFixed(1));
  return `${ms(at(0.5))} | ${ms(at(0.99))} | ${ms(at(1) as number)} | ${values.length}`;
}

async function roundTrips(): Promise<{ unix: number[]; web: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-bench-web-'));
  const socket = join(dir, 'driver.sock');
  // A LAN driver takes its port in UDP and TCP: the page gets the next one.
  const port = 28080 + 2 * Math.floor(Math.random() * 500);
  const httpPort = port + 1;
  const driver = spawn(
    process.execPath,
    ['dist/bin/msInetDriver.js', '-p', String(port), '--socket', socket, '--http', String(httpPort)],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  try {
    await new Promise<void>((ready, failed) => {
      let seen = '';
      driver.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/local clients: /.test(seen) && /web page: /.test(seen)) ready();
      });
      driver.once('exit', () => failed(new Error(`the driver stopped: ${seen}`)));
    });
    const unixClient = await connectEndpoint(socket);
    const unix: number[] = [];
    for (let i = 0; i < WARM_UP + ROUNDS; i++) {
      const start = performance.now();
      await unixClient.request('status');
      if (i >= WARM_UP) unix.push(performance.now() - start);
    }
    unixClient.close();

    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`);
    await new Promise((open) => ws.once('open', open));
    const web: number[] = [];
    for (let i = 0; i < WARM_UP + ROUNDS; i++) {
      const start = performance.now();
      const reply = new Promise((answered) => ws.once('message', answered));
      ws.send(`{"op":"status","id":${i}}`);
      await reply;
      if (i >= WARM_UP) web.push(performance.now() - start);
    }
    ws.close();
    return { unix, web };
  } finally {
    driver.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Installed in the page: when each monitor line and each `late` figure appear, and the frame after. */
const PAGE_PROBE = `(() => {
  const seen = (window.shown = []);
  const stamp = () => performance.timeOrigin + performance.now();
  const record = (what) => {
    const entry = { what, at: stamp(), painted: undefined };
    seen.push(entry);
    requestAnimationFrame(() => (entry.painted = stamp()));
  };
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) record('event ' + node.textContent);
  }).observe(document.getElementById('monitor'), { childList: true });
  const late = document.querySelector('[data-figure="late"]');
  new MutationObserver(() => record('late ' + late.textContent)).observe(late, { childList: true, characterData: true, subtree: true });
})()`;

async function pageLatency(): Promise<{ event: number[]; painted: number[]; stats: number[] }> {
  let late = 0;
  const hub = createHub({ driverName: 'msLANDriver' });
  const remote = hub.addRemote('hostB', '10.0.0.2');
  if (!remote.ok) throw new Error(remote.reason);
  let port = 0;
  const served = serveHttp({
    hub,
    port: 0,
    status: () => ({ mode: 'lan', port: 4950, maxLatency: 10, grouping: 10 }),
    stats: () => ({ offset: 1.5, transit: 0.2, maxTransit: 0.4, late, missing: 0, duplicates: 0 }),
  }).subscribe((notice) => {
    if (notice.kind === 'listening') port = notice.port;
  });
  while (port === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const dir = mkdtempSync(join(tmpdir(), 'msinet-bench-browser-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    userDataDir: dir,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
    await page.waitForSelector('[data-figure="late"]');
    await page.evaluate(PAGE_PROBE);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const shown = async (what: string): Promise<{ at: number; painted: number }> => {
      for (let waited = 0; waited < 5000; waited += 5) {
        const found = (await page.evaluate(
          `window.shown.find((e) => e.what.includes(${JSON.stringify(what)}) && e.painted !== undefined)`,
        )) as { at: number; painted: number } | undefined;
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`never shown: ${what}`);
    };
    const event: number[] = [];
    const painted: number[] = [];
    const stats: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      // Spaced at random, so that the trials do not lock to the page's 30 ms stats period.
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
      const value = 1000 + i;
      const sent = now();
      hub.deliver(remote.value.ref, { type: 'ctrlChange', port: 0, chan: 0, ctrl: 20, value: i % 128 });
      const line = await shown(`ctrlChange ctrl 20 = ${i % 128} `);
      event.push(line.at - sent);
      painted.push(line.painted - sent);
      await page.evaluate('window.shown.length = 0');
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 50));
      const changed = now();
      late = value;
      const figure = await shown(`late ${value}`);
      stats.push(figure.painted - changed);
      await page.evaluate('window.shown.length = 0');
    }
    return { event, painted, stats };
  } finally {
    await browser.close();
    served.unsubscribe();
    hub.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const pressure = watchCpuPressure(() => performance.now());
const trips = await roundTrips();
const page = await pageLatency();
const share = pressure.stop();
process.stdout.write(
  [
    `Machine: ${machineLine()}; load ${loadAverage()}` +
      (share === undefined ? '' : `; CPU pressure ${(share * 100).toFixed(1)} % of the run`),
    '',
    '| round trip of `status` | median ms | p99 ms | max ms | requests |',
    '|---|---|---|---|---|',
    `| Unix socket | ${summary(trips.unix)} |`,
    `| WebSocket | ${summary(trips.web)} |`,
    '',
    '| page update | median ms | p99 ms | max ms | trials |',
    '|---|---|---|---|---|',
    `| event delivered → line in the monitor | ${summary(page.event)} |`,
    `| event delivered → next frame (on screen) | ${summary(page.painted)} |`,
    `| statistic changed → figure on screen | ${summary(page.stats)} |`,
    '',
  ].join('\n'),
);
process.exit(0);
