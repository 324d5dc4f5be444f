// The page against an endpoint in this process, in Debian's chromium on
// loopback: a remote whose statistics carry the driver's deviation counts
// (`deviation: { bucketMs, counts }`) gets that histogram, every packet
// counted, not the page's sampled one. Needs `npm run build`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { createHub } from '../../src/sinks/hub.js';
import { serveHttp } from '../../src/sources/http-endpoint.js';
import { canUseChromium, CHROMIUM } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/paths.js';

const chromium = canUseChromium();
const built = existsSync(join(REPO_ROOT, 'dist', 'page', 'main.js'));
const skip = !chromium.ok ? chromium.why : !built ? 'dist/page is not built: run npm run build' : false;

test(
  "the histogram shows the driver's deviation counts when its statistics carry them",
  { skip, timeout: 90_000 },
  async () => {
    const hub = createHub({ driverName: 'msLANDriver' });
    const remote = hub.addRemote('hostB', '10.0.0.2');
    assert.ok(remote.ok);
    let counts = [40, 25, 10, 5, 0, 0, 0, 0, 0, 0, 0, 3];
    let port = 0;
    const served = serveHttp({
      hub,
      port: 0,
      status: () => ({ mode: 'lan', maxLatency: 10 }),
      stats: () => ({ offset: 2, transit: 0.5, late: 3, deviation: { bucketMs: 1, counts } }),
    }).subscribe((n) => {
      if (n.kind === 'listening') port = n.port;
    });
    const dir = mkdtempSync(join(tmpdir(), 'msinet-page-'));
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
      while (port === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
      await page.waitForSelector('svg.histogram rect');
      const drawn = () =>
        page.$eval('.remote', (li) => ({
          bars: li.querySelectorAll('svg.histogram rect').length,
          label: li.querySelector('svg.histogram')?.getAttribute('aria-label') ?? '',
          caption: li.querySelector('.histogram-caption')?.textContent ?? '',
        }));
      const first = await drawn();
      assert.equal(first.bars, 12);
      assert.equal(
        first.label,
        'Delivery deviation histogram. hostB: 83 packets; half within 2 ms, 95% within 4 ms of the usual transit; ' +
          '3 beyond 11 ms; maximum latency 10 ms',
      );
      assert.equal(
        first.caption,
        'Delivery deviation, 1 ms a bar; the line marks the maximum latency, 10 ms.',
      );
      // New counts are pushed (the page asks every 30 ms) and drawn.
      counts = [100, 25, 10, 5, 0, 0, 0, 0, 0, 0, 0, 3];
      await page.waitForFunction(
        `document.querySelector('svg.histogram')?.getAttribute('aria-label')?.includes('143 packets')`,
        { timeout: 5_000 },
      );
    } finally {
      await browser.close();
      served.unsubscribe();
      hub.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
