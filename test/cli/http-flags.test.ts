// `--http <port>` and `--http-bind <address>` (SPEC §12): off by default,
// checked like the other flags; a driver with them serves the page, with the
// token it logs at start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { parseDriverArgs } from '../../src/cli.js';
import { freePort, startDriver, START_TIMEOUT_MS, stopAll } from './cli-processes.js';

after(() => stopAll());

const config = (argv: string[]) => {
  const parsed = parseDriverArgs(argv);
  assert.equal(parsed.kind, 'run', JSON.stringify(parsed));
  return parsed.kind === 'run' ? parsed.config : undefined;
};
const reason = (argv: string[]) => {
  const parsed = parseDriverArgs(argv);
  return parsed.kind === 'error' ? parsed.reason : `parsed as ${parsed.kind}`;
};

test('no web unless --http is given', () => {
  const plain = config([]);
  assert.equal(plain?.http, undefined);
  assert.equal(plain?.httpBind, undefined);
});

test('--http takes a port; --http-bind an address, with --http', () => {
  assert.equal(config(['--http', '8080'])?.http, 8080);
  assert.deepEqual(
    (({ http, httpBind }) => ({ http, httpBind }))(config(['--http', '8080', '--http-bind', '0.0.0.0'])!),
    { http: 8080, httpBind: '0.0.0.0' },
  );
  assert.equal(config(['-lat', '20', '--http', '9000', '--http-bind', '::'])?.httpBind, '::');
});

test('bad values are refused with the flag named', () => {
  assert.match(reason(['--http', '0']), /--http: 0 is out of range 1–65535/);
  assert.match(reason(['--http', 'web']), /--http: expected a whole number/);
  assert.match(reason(['--http', '70000']), /out of range/);
  assert.match(reason(['--http-bind', '0.0.0.0']), /--http-bind: give --http <port> with it/);
  assert.match(
    reason(['--http', '8080', '--http-bind', 'example.org']),
    /--http-bind: expected an IP address/,
  );
});

const status = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });

test(
  'msInetDriver --http-bind logs the page address with a new token, and the page needs it',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msinet-http-flags-'));
    try {
      const port = await freePort();
      let httpPort = await freePort();
      while (httpPort === port) httpPort = await freePort();
      const driver = await startDriver(port, join(dir, 'd.sock'), [
        '--http',
        String(httpPort),
        '--http-bind',
        '127.0.0.1',
      ]);
      const { match } = await driver.waitForLine(
        /web page: (http:\/\/127\.0\.0\.1:(\d+)\/)\?token=([\w-]{22})$/,
        START_TIMEOUT_MS,
        {
          stream: 'stderr',
        },
      );
      const [, page, logged, token] = match;
      assert.equal(Number(logged), httpPort);
      assert.equal(await status(`${page}`), 401);
      assert.equal(await status(`${page}?token=${token}`), 200);
      const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws?token=${token}`);
      const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('open', () => ws.send('{"op":"status"}'));
        ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>));
        ws.once('error', reject);
      });
      ws.close();
      assert.equal(reply['ok'], true);
      assert.equal((reply['status'] as Record<string, unknown>)['awake'], false, 'a query wakes no one');
      await driver.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
