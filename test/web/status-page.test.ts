// The status page in a real headless browser (SPEC §12): two msinet stations
// on a private LAN (network namespaces), hostA serving `--http 8080`, and
// Debian's chromium on hostA's host opening http://127.0.0.1:8080/. What the
// page shows and does is checked against the other station's `msinet dump`
// and `send`, and against hostA's `msinet clients`. Needs `npm run build`
// (the page's scripts are served from dist/).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { canUseChromium, launchBrowser, type LabBrowser } from '../harness/browser.js';
import { canUseNetns, Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT } from '../harness/paths.js';
import { sleep, Station, type Delivery } from '../netns/lan-stations.js';

const netns = canUseNetns();
const chromium = canUseChromium();
const built = existsSync(join(REPO_ROOT, 'dist', 'page', 'main.js'));
const skip = !netns.ok
  ? netns.why
  : !chromium.ok
    ? chromium.why
    : !built
      ? 'dist/page is not built: run npm run build'
      : false;

const SUBNET = '10.81.0';
const HTTP_PORT = 8080;
const PAGE = `http://127.0.0.1:${HTTP_PORT}/`;
/** Where the screenshot goes: MSINET_SCREENSHOT (docs/images/status-page.png to update the README's), else a temporary file. */
const SCREENSHOT = process.env.MSINET_SCREENSHOT
  ? resolve(REPO_ROOT, process.env.MSINET_SCREENSHOT)
  : join(tmpdir(), 'msinet-status-page.png');

/**
 * A fake Web MIDI (navigator.requestMIDIAccess) with one input and one output;
 * sends are recorded. Plain JavaScript text: a function compiled by tsx would
 * carry helpers the page does not have.
 */
const FAKE_WEB_MIDI = `(() => {
  class FakePort extends EventTarget {
    constructor(id, name, type) {
      super();
      Object.assign(this, { id, name, type, state: 'connected', connection: 'open', manufacturer: 'msinet tests', version: '1' });
    }
    open() { return Promise.resolve(this); }
    close() { return Promise.resolve(this); }
  }
  class FakeInput extends FakePort {
    // What a device plays: a midimessage event, as a real input dispatches it.
    play(bytes) {
      const message = new Event('midimessage');
      Object.defineProperty(message, 'data', { value: new Uint8Array(bytes) });
      this.dispatchEvent(message);
    }
  }
  const sent = [];
  class FakeOutput extends FakePort {
    send(data, timestamp) { sent.push({ data: [...data], timestamp, at: performance.now() }); }
    clear() {}
  }
  const input = new FakeInput('fake-in', 'Fake Keys', 'input');
  const output = new FakeOutput('fake-out', 'Fake Synth', 'output');
  const access = Object.assign(new EventTarget(), {
    inputs: new Map([[input.id, input]]),
    outputs: new Map([[output.id, output]]),
    sysexEnabled: true,
  });
  Object.defineProperty(navigator, 'requestMIDIAccess', { value: () => Promise.resolve(access) });
  Object.defineProperty(window, 'fakeMidi', { value: { input, sent } });
})();`;

/** Another web site on hostA's host, for a page of a foreign origin. */
const FOREIGN_PORT = 8081;
const FOREIGN_SITE = `require('node:http').createServer((q, s) => s.end('<p>elsewhere</p>'))
  .listen(${FOREIGN_PORT}, '127.0.0.1', () => console.log('listening'))`;

/** The page's globals, for the functions puppeteer runs in the browser (the tests' tsconfig has no DOM library). */
interface PageNode {
  textContent: string | null;
  value?: string;
  firstChild: PageNode | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
}
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): PageNode[];
};
declare const window: unknown;
declare class WebSocket {
  constructor(url: string);
  onopen: () => void;
  onerror: () => void;
  onclose: () => void;
}

describe('the status page in a browser, two stations', { skip, timeout: 240_000 }, () => {
  let lab: Lab;
  let dir: string;
  let A: Station;
  let B: Station;
  let dumpOnB: LineProcess;
  let browser: LabBrowser;
  let page: Page;
  const problems: string[] = [];

  /** Deliveries B's dump printed so far, parsed. */
  const onB = (): Delivery[] => dumpOnB.stdoutLines.map((line) => JSON.parse(line) as Delivery);
  const arrivesOnB = (what: string, match: (d: Delivery) => boolean) =>
    dumpOnB.waitUntil(() => onB().find(match), 15_000, what);
  const keyOnFromA = (pitch: number) => (d: Delivery) =>
    d.from === 'hostA' && d.event['type'] === 'keyOn' && d.event['pitch'] === pitch;

  const openPage = async (url: string, watch: boolean): Promise<Page> => {
    const opened = await browser.browser.newPage();
    await opened.setViewport({ width: 1280, height: 1000 });
    if (watch) {
      opened.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warn')
          problems.push(`console ${message.type()}: ${message.text()}`);
      });
      opened.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
      opened.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
      opened.on('response', (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
      });
    }
    await opened.goto(url, { waitUntil: 'load' });
    return opened;
  };
  const text = (on: Page, selector: string) => on.$eval(selector, (e) => e.textContent ?? '');

  before(async () => {
    lab = await Lab.start({ hosts: ['a', 'b'], subnet: SUBNET });
    dir = mkdtempSync(join(tmpdir(), 'msinet-web-'));
    [A, B] = await Promise.all([
      Station.start(lab, 'a', 'hostA', dir, ['--http', String(HTTP_PORT)]),
      Station.start(lab, 'b', 'hostB', dir),
    ]);
    dumpOnB = (await B.openDump()).dump;
    browser = await launchBrowser(lab, 'a');
    page = await openPage(PAGE, true);
  });
  after(async () => {
    await browser?.close();
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the page wakes its station and lists the other one, with its address and figures', async () => {
    await page.waitForFunction(
      () => [...document.querySelectorAll('.remote h3')].some((h) => h.textContent?.startsWith('hostB')),
      { timeout: 20_000 },
    );
    const card = await page.$eval('.remote', (li) => ({
      name: li.querySelector('h3')?.firstChild?.textContent,
      address: li.querySelector('.address')?.textContent,
      offset: li.querySelector('[data-figure="offset"]')?.textContent,
      late: li.querySelector('[data-figure="late"]')?.textContent,
      histogram: li.querySelector('svg.histogram')?.getAttribute('aria-label'),
    }));
    assert.equal(card.name, 'hostB');
    assert.equal(card.address, B.address);
    assert.match(card.offset ?? '', /^-?\d+(\.\d)? ms$/);
    assert.match(card.late ?? '', /^\d+$/);
    assert.match(card.histogram ?? '', /^Delivery deviation histogram\. hostB: /);
    assert.match(await text(page, '#driver-status'), /^Driver awake · LAN · port 4950/);
    assert.match(await text(page, '#log'), /web page: http:\/\/127\.0\.0\.1:8080\//);
    // The page's own clients are local clients like any other.
    const clients = await A.clientList();
    assert.deepEqual(
      clients
        .filter((c) => c.kind === 'local')
        .map((c) => c.name)
        .sort(),
      ['web-midi', 'web-monitor'],
    );
  });

  test('a note played on the on-screen keyboard, and on the computer keyboard, reaches hostB', async () => {
    await page.waitForFunction(
      () => document.getElementById('play-hint')?.textContent?.includes('Playing to hostB'),
      {
        timeout: 10_000,
      },
    );
    await B.logLine(/hostA : connection complete/, 15_000);
    await page.click('button[data-pitch="60"]');
    const played = await arrivesOnB('keyOn 60 from hostA', keyOnFromA(60));
    assert.deepEqual(
      { ...played.event, date: 0 },
      { type: 'keyOn', date: 0, port: 0, chan: 0, pitch: 60, vel: 100 },
    );
    await arrivesOnB(
      'its keyOff',
      (d) => d.from === 'hostA' && d.event['type'] === 'keyOff' && d.event['pitch'] === 60,
    );
    await page.keyboard.press('KeyD'); // D: E, four semitones above the lowest C shown
    await arrivesOnB('keyOn 64 from the computer keyboard', keyOnFromA(64));
  });

  test('a note sent on hostB with msinet send appears in the monitor, as msinet dump prints it', async () => {
    const sent = await B.msinet(['send', '--to', 'hostA', 'keyOn:chan=2:pitch=67:vel=99']);
    assert.equal(sent.code, 0, sent.stderr);
    await page.waitForFunction(
      () =>
        document
          .getElementById('monitor')
          ?.textContent?.includes('hostB  keyOn G4 (67) vel 99 (chan 2, port 0)'),
      { timeout: 10_000 },
    );
    const line = await page.$$eval('#monitor li', (items) => items.map((li) => li.textContent ?? '').pop());
    assert.match(line ?? '', /^\d+(\.\d+)? ms {2}hostB {2}keyOn G4 \(67\) vel 99 \(chan 2, port 0\)$/);
  });

  test('connecting and disconnecting in the matrix change what msinet clients shows', async () => {
    const linked = async () => (await A.msinet(['clients'])).stdout;
    const button = 'button[aria-label="web-midi receives from hostB"]';
    assert.equal(await page.$eval(button, (b) => b.getAttribute('aria-pressed')), 'true');
    assert.match(await linked(), /^ {2}hostB -> web-midi$/m);
    await page.click(button);
    await page.waitForFunction(
      (s) => document.querySelector(s)?.getAttribute('aria-pressed') === 'false',
      {},
      button,
    );
    assert.doesNotMatch(await linked(), /hostB -> web-midi/);
    assert.match(await linked(), /^ {2}web-midi -> hostB$/m, 'the other direction stays');
    await page.click(button);
    await page.waitForFunction(
      (s) => document.querySelector(s)?.getAttribute('aria-pressed') === 'true',
      {},
      button,
    );
    assert.match(await linked(), /^ {2}hostB -> web-midi$/m);
  });

  test('a WebSocket with a foreign Origin is refused', async () => {
    const site = lab.spawn('a', process.execPath, ['-e', FOREIGN_SITE], { label: 'foreign site' });
    await site.waitForLine(/^listening$/, 20_000);
    const other = await openPage(`http://127.0.0.1:${FOREIGN_PORT}/`, false);
    const mark = A.logMark;
    const outcome = await other.evaluate(
      (url) =>
        new Promise<string>((done) => {
          const ws = new WebSocket(url);
          ws.onopen = () => done('opened');
          ws.onerror = () => done('refused');
          ws.onclose = () => done('refused');
        }),
      `ws://127.0.0.1:${HTTP_PORT}/ws`,
    );
    assert.equal(outcome, 'refused');
    await A.logLine(
      new RegExp(
        `WebSocket from 127\\.0\\.0\\.1 refused: origin http://127\\.0\\.0\\.1:${FOREIGN_PORT} is not this page's`,
      ),
      5_000,
      mark,
    );
    await other.close();
    await site.kill();
    await page.bringToFront(); // a tab in the background gets no animation frames
  });

  test('Web MIDI: a device input reaches hostB, and what hostB sends plays on the output with a timestamp', async () => {
    const midiPage = await browser.browser.newPage();
    await midiPage.evaluateOnNewDocument(FAKE_WEB_MIDI);
    midiPage.on('pageerror', (error) => problems.push(`MIDI page error: ${String(error)}`));
    await midiPage.goto(PAGE, { waitUntil: 'load' });
    await midiPage.waitForFunction(
      () => document.getElementById('midi-status')?.textContent === 'Web MIDI: 1 MIDI input, 1 output.',
      { timeout: 10_000 },
    );
    assert.equal(await midiPage.$eval('#midi-out', (s) => s.value), 'fake-out');
    await midiPage.waitForFunction(
      () => document.getElementById('play-hint')?.textContent?.includes('Playing to hostB'),
      {
        timeout: 10_000,
      },
    );
    // Note on with running status for a second note: the model's parser reads it.
    await midiPage.evaluate(() =>
      (window as unknown as { fakeMidi: { input: { play(b: number[]): void } } }).fakeMidi.input.play([
        0x91, 72, 110, 74, 90,
      ]),
    );
    const first = await arrivesOnB('keyOn 72 from the MIDI input', keyOnFromA(72));
    assert.deepEqual([first.event['chan'], first.event['vel']], [1, 110]);
    await arrivesOnB('keyOn 74 by running status', keyOnFromA(74));

    const sent = await B.msinet([
      'send',
      '--to',
      'hostA',
      'keyOn:chan=3:pitch=50:vel=77',
      'ctrlChange:ctrl=7:value=100',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const played = await midiPage.waitForFunction(
      () => {
        const { sent } = (
          window as unknown as { fakeMidi: { sent: { data: number[]; timestamp: number; at: number }[] } }
        ).fakeMidi;
        return sent.length >= 2 ? sent.slice(0, 2) : undefined;
      },
      { timeout: 10_000 },
    );
    const [note, control] = (await played.jsonValue()) as { data: number[]; timestamp: number; at: number }[];
    assert.deepEqual(note?.data, [0x93, 50, 77]);
    assert.deepEqual(control?.data, [0xb0, 7, 100]);
    for (const message of [note, control]) {
      assert.equal(typeof message?.timestamp, 'number', 'sent with a timestamp');
      // The delivery date on the page's clock plus a lead: a little after it was handed over, never long after.
      const ahead = (message?.timestamp ?? 0) - (message?.at ?? 0);
      assert.ok(ahead > -100 && ahead < 1000, `played ${ahead} ms after it was handed to the output`);
    }
    await midiPage.close();
    await page.bringToFront();
  });

  test('a screenshot of the page with live data', async () => {
    await page.bringToFront();
    // A phrase from hostB, so the meters and histograms have something to show.
    const send = B.spawnMsinet(['send', '--to', 'hostA', '--json']);
    for (let i = 0; i < 24; i++) {
      send.writeLine(JSON.stringify({ type: 'note', pitch: 60 + (i % 12), vel: 80, dur: 120 }));
      await sleep(40);
    }
    send.closeStdin();
    assert.equal((await send.exited).code, 0, send.tail());
    await page.click('button[data-pitch="67"]');
    await page.waitForFunction(() => document.querySelector('.remote .rate')?.textContent !== '0 events/s', {
      timeout: 5_000,
    });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));
  });

  test('the page ran without a console error, a failed request or an HTTP error', () => {
    assert.deepEqual(problems, []);
  });
});
