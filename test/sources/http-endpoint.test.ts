// The web endpoint (SPEC §12): the page and its scripts over HTTP, and the
// local endpoint protocol over a WebSocket, checked against the Unix socket
// speaking to the same hub. Real sockets on loopback; `npm run build` first
// (the page's scripts are served from dist/).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Subject, type Subscription } from 'rxjs';
import WebSocket from 'ws';
import { createHub, type Hub } from '../../src/sinks/hub.js';
import type { LogLine } from '../../src/sinks/logger.js';
import { serveHttp, type HttpNotice, type HttpOptions } from '../../src/sources/http-endpoint.js';
import { serveLocalEndpoint } from '../../src/sources/local-endpoint.js';
import { connectEndpoint } from '../../src/tool/endpoint-client.js';
import { REPO_ROOT } from '../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const built = existsSync(join(REPO_ROOT, 'dist', 'page', 'main.js'));

interface Served {
  hub: Hub;
  port: number;
  socketPath: string;
  notices: HttpNotice[];
  logs: Subject<LogLine>;
  stop: () => void;
}

let count = 0;
/** A hub with both endpoints on it: the Unix socket and the web. */
async function serve(extra: Partial<HttpOptions> = {}): Promise<Served> {
  const hub = createHub({ driverName: 'msLANDriver' });
  const logs = new Subject<LogLine>();
  const notices: HttpNotice[] = [];
  const session = { hub, status: () => ({ mode: 'lan', port: 4950 }), logs$: logs };
  const socketPath = join(dir, `s${++count}.sock`);
  const subscriptions: Subscription[] = [];
  await new Promise<void>((listening, failed) => {
    subscriptions.push(
      serveLocalEndpoint({ ...session, path: socketPath }).subscribe({
        next: (n) => n.kind === 'listening' && listening(),
        error: failed,
      }),
    );
  });
  const port = await new Promise<number>((listening, failed) => {
    subscriptions.push(
      serveHttp({ ...session, port: 0, ...extra }).subscribe({
        next: (notice) => {
          notices.push(notice);
          if (notice.kind === 'listening') listening(notice.port);
        },
        error: failed,
      }),
    );
  });
  return {
    hub,
    port,
    socketPath,
    notices,
    logs,
    stop: () => {
      for (const s of subscriptions) s.unsubscribe();
      hub.dispose();
    },
  };
}

/** A WebSocket that reads messages as parsed JSON, in order. */
class Peer {
  private readonly queue: Record<string, unknown>[] = [];
  private readonly waiting: ((m: Record<string, unknown>) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<Peer> {
    const ws = new WebSocket(url, options);
    ws.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Peer(ws)));
      ws.once('unexpected-response', (_request, response) => {
        reject(new Error(`refused: ${response.statusCode}`));
        ws.terminate();
      });
    });
  }

  next(): Promise<Record<string, unknown>> {
    const ready = this.queue.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The next message that is a reply (pushes skipped). */
  async reply(): Promise<Record<string, unknown>> {
    for (;;) {
      const message = await this.next();
      if (!('push' in message)) return message;
    }
  }

  /** The next push of this kind. */
  async push(kind: string): Promise<Record<string, unknown>> {
    for (;;) {
      const message = await this.next();
      if (message['push'] === kind) return message;
    }
  }

  async ask(op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.ws.send(JSON.stringify({ op, ...fields }));
    return this.reply();
  }
}

const wsUrl = (port: number, query = ''): string => `ws://127.0.0.1:${port}/ws${query}`;

/** A GET with the headers given; the status and body. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body,
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 5000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('web endpoint: the page over HTTP', { timeout: 20_000 }, () => {
  let served: Served;
  before(async () => {
    served = await serve();
  });
  after(() => served.stop());

  test('listens on 127.0.0.1 and says where', () => {
    const listening = served.notices.find((n) => n.kind === 'listening');
    assert.deepEqual(listening, {
      kind: 'listening',
      url: `http://127.0.0.1:${served.port}/`,
      port: served.port,
    });
  });

  test('serves the page, its style, and the scripts it imports, each with its type', async (t) => {
    const page = await get(served.port, '/');
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body, /<script type="module" src="\/page\/main.js">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match((await get(served.port, '/style.css')).type, /^text\/css/);
    if (!built) return t.skip('dist/page is not built: run npm run build');
    for (const path of ['/page/main.js', '/model/event-text.js', '/wire/delivery-text.js']) {
      const script = await get(served.port, path);
      assert.equal(script.status, 200, path);
      assert.match(script.type, /^text\/javascript/, path);
    }
  });

  test('serves nothing else: no path leaves its folders, no other method', async () => {
    for (const path of [
      '/../package.json',
      '/page/../../package.json',
      '/page/%2e%2e/%2e%2e/package.json',
      '/sources/http-endpoint.js',
      '/page/main.ts',
      '/node_modules/ws/package.json',
      '/web/index.html',
    ]) {
      assert.equal((await get(served.port, path)).status, 404, path);
    }
    assert.equal((await get(served.port, '/', {}, 'POST')).status, 405);
    assert.equal((await get(served.port, '/', {}, 'HEAD')).status, 200);
  });

  test('a host name that is not loopback is refused (DNS rebinding)', async () => {
    const rebound = await get(served.port, '/', { Host: `evil.example:${served.port}` });
    assert.equal(rebound.status, 421);
    await assert.rejects(
      Peer.open(wsUrl(served.port), { headers: { Host: `evil.example:${served.port}` } }),
      /refused: 421/,
    );
    assert.equal((await get(served.port, '/', { Host: `localhost:${served.port}` })).status, 200);
  });
});

describe('web endpoint: who may open a WebSocket', { timeout: 20_000 }, () => {
  let served: Served;
  before(async () => {
    served = await serve();
  });
  after(() => served.stop());

  test("the page's own origin may, another site's may not", async () => {
    const own = await Peer.open(wsUrl(served.port), { origin: `http://127.0.0.1:${served.port}` });
    assert.equal((await own.ask('status'))['ok'], true);
    const behindTls = await Peer.open(wsUrl(served.port), { origin: `https://127.0.0.1:${served.port}` });
    assert.equal((await behindTls.ask('status'))['ok'], true);
    for (const origin of [
      'http://evil.example',
      `http://localhost:${served.port}`,
      `http://127.0.0.1:${served.port + 1}`,
      'null',
      'file://',
    ]) {
      await assert.rejects(Peer.open(wsUrl(served.port), { origin }), /refused: 403/, origin);
    }
    assert.ok(served.notices.some((n) => n.kind === 'log' && /origin http:\/\/evil.example/.test(n.message)));
    own.ws.close();
    behindTls.ws.close();
  });

  test('a program (no Origin) may, like one on the Unix socket', async () => {
    const program = await Peer.open(wsUrl(served.port));
    assert.equal((await program.ask('clients'))['ok'], true);
    program.ws.close();
  });

  test('only /ws upgrades', async () => {
    await assert.rejects(Peer.open(`ws://127.0.0.1:${served.port}/`), /refused: 404/);
  });

  test('with a token, the page and the WebSocket need it; the scripts do not', async () => {
    const guarded = await serve({ token: 'sesame-0123456789' });
    try {
      const listening = guarded.notices.find((n) => n.kind === 'listening');
      assert.equal(
        listening?.kind === 'listening' && listening.url.endsWith('/?token=sesame-0123456789'),
        true,
      );
      assert.equal((await get(guarded.port, '/')).status, 401);
      assert.equal((await get(guarded.port, '/?token=wrong')).status, 401);
      assert.equal((await get(guarded.port, '/?token=sesame-0123456789')).status, 200);
      assert.equal((await get(guarded.port, '/style.css')).status, 200);
      // A TLS proxy forwards its own host name: with a token, any host may come.
      const proxied = { Host: 'studio.example', 'X-Forwarded-Proto': 'https' };
      assert.equal((await get(guarded.port, '/?token=sesame-0123456789', proxied)).status, 200);
      await assert.rejects(Peer.open(wsUrl(guarded.port)), /refused: 401/);
      await assert.rejects(Peer.open(wsUrl(guarded.port, '?token=sesame-012345678')), /refused: 401/);
      const peer = await Peer.open(wsUrl(guarded.port, '?token=sesame-0123456789'));
      assert.equal((await peer.ask('status'))['ok'], true);
      peer.ws.close();
    } finally {
      guarded.stop();
    }
  });
});

describe('web endpoint: the same conversation as the Unix socket', { timeout: 30_000 }, () => {
  let served: Served;
  before(async () => {
    served = await serve();
  });
  after(() => served.stop());

  test('every request, good or bad, gets the reply the Unix socket gives', async () => {
    const lines = [
      '{"op":"clients"}',
      '{"op":"status","id":"q"}',
      'this is not json',
      '[1,2,3]',
      '{"op":"dance"}',
      '{"op":"clients","colour":"red"}',
      '{"op":"send","event":{"type":"keyOn"}}',
      '{"op":"open"}',
      '{"op":"stats","intervalMs":5}',
      '{"op":"connect","src":"nobody","dst":"nowhere"}',
      '{"op":"open","name":"rude","from":"x","fromRemotes":true}',
      '{"op":"open","name":"twin","transient":true,"id":7}',
      '{"op":"send","id":"s1","event":{"type":"keyOn","pitch":300,"vel":1}}',
      '{"op":"send","events":[{"type":"start"},{"type":"nope"}]}',
      '{"op":"send","event":{"type":"keyOn","pitch":60,"vel":90}}',
      '{"op":"connect","src":"twin","dst":"twin"}',
      '{"op":"close"}',
      '{"op":"close"}',
    ];
    const unixReplies: unknown[] = [];
    // Raw lines on the Unix socket, raw frames on the WebSocket, one after the other.
    const raw = createConnection(served.socketPath);
    let buffered = '';
    const readLine = (): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        const check = (): void => {
          const i = buffered.indexOf('\n');
          if (i < 0) return void raw.once('data', (chunk) => ((buffered += chunk.toString()), check()));
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          resolve(JSON.parse(line) as Record<string, unknown>);
        };
        check();
      });
    const readReply = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const message = await readLine();
        if (!('push' in message)) return message;
      }
    };
    for (const line of lines) {
      raw.write(`${line}\n`);
      unixReplies.push(await readReply());
    }
    raw.destroy();
    await until(() => served.hub.snapshot().clients.length === 1, 'the Unix client to close');
    const web = await Peer.open(wsUrl(served.port));
    const webReplies: unknown[] = [];
    for (const line of lines) {
      web.ws.send(line);
      webReplies.push(await web.reply());
    }
    // Refs are not reused, so the second twin has another; all else is the same.
    const withoutRefs = (replies: unknown[]) =>
      replies.map((r) => JSON.parse(JSON.stringify(r).replace(/"ref":\d+/g, '"ref":0')) as unknown);
    assert.deepEqual(withoutRefs(webReplies), withoutRefs(unixReplies));
    assert.equal((webReplies[2] as { error: string }).error.startsWith('not JSON'), true);
    assert.equal((webReplies[11] as { ok: boolean; id: number }).id, 7);
    web.ws.close();
    await until(() => served.hub.snapshot().clients.length === 1, 'both clients to close');
  });

  test('a binary frame is read as UTF-8 text, as the Unix socket reads bytes', async () => {
    const peer = await Peer.open(wsUrl(served.port));
    peer.ws.send(Buffer.from('{"op":"status","id":1}'));
    assert.equal((await peer.reply())['ok'], true);
    peer.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    const reply = await peer.reply();
    assert.equal(reply['ok'], false);
    assert.match(String(reply['error']), /not JSON/);
    assert.equal((await peer.ask('status'))['ok'], true, 'the connection carries on');
    peer.ws.close();
  });

  test('a page is a local client like any other: it wakes the driver, connects, sends and receives', async () => {
    const page = await Peer.open(wsUrl(served.port));
    const program = await connectEndpoint(served.socketPath);
    const opened = await page.ask('open', { name: 'page', fromRemotes: true });
    assert.deepEqual(
      { ...opened, ref: 0 },
      { ok: true, op: 'open', ref: 0, name: 'page', woke: true, awakeMs: 0 },
    );
    assert.equal((await program.request('open', { name: 'app' })).ok, true);
    assert.equal((await page.ask('connect', { src: 'app', dst: 'page' }))['ok'], true);
    assert.equal((await page.ask('connect', { src: 'page', dst: 'app' }))['ok'], true);
    const delivered = page.push('delivery');
    await program.request('send', { event: { type: 'keyOn', chan: 1, pitch: 62, vel: 80 } });
    const push = await delivered;
    assert.equal(push['from'], 'app');
    assert.deepEqual(push['event'], {
      type: 'keyOn',
      date: push['time'],
      port: 0,
      chan: 1,
      pitch: 62,
      vel: 80,
    });
    const toProgram = new Promise<unknown>((resolve) =>
      program.pushes$.subscribe((p) => p.push === 'delivery' && resolve(p.event)),
    );
    assert.equal((await page.ask('send', { event: { type: 'progChange', value: 5 } }))['sent'], 1);
    assert.deepEqual(
      { ...((await toProgram) as object), date: 0 },
      {
        type: 'progChange',
        date: 0,
        port: 0,
        chan: 0,
        value: 5,
      },
    );
    page.ws.close();
    program.close();
    await until(() => served.hub.snapshot().clients.length === 1, 'both clients to close');
  });

  test('stats pushes the status and each remote with its statistics, when they change', async () => {
    let late = 0;
    const hub = createHub({ driverName: 'msLANDriver' });
    const remote = hub.addRemote('hostB', '10.0.0.2');
    assert.ok(remote.ok);
    let subscription: Subscription | undefined;
    const port = await new Promise<number>((listening) => {
      subscription = serveHttp({
        hub,
        port: 0,
        status: () => ({ mode: 'lan', maxLatency: 10 }),
        stats: () => ({ late, deviation: { bucketMs: 1, counts: [3, 1, 0] } }),
        now: () => 1234.5,
      }).subscribe((n) => n.kind === 'listening' && listening(n.port));
    });
    const peer = await Peer.open(wsUrl(port));
    assert.equal((await peer.ask('stats', { intervalMs: 20 }))['ok'], true);
    const first = await peer.push('stats');
    assert.deepEqual(first, {
      push: 'stats',
      time: 1234.5,
      status: { awake: false, locals: 0, remotes: 1, mode: 'lan', maxLatency: 10 },
      remotes: [
        {
          ref: remote.value.ref,
          name: 'hostB',
          kind: 'remote',
          address: '10.0.0.2',
          stats: { late: 0, deviation: { bucketMs: 1, counts: [3, 1, 0] } },
        },
      ],
    });
    late = 1;
    const second = await peer.push('stats');
    assert.equal((second['remotes'] as { stats: { late: number } }[])[0]?.stats.late, 1);
    // Unchanged figures are not pushed again: nothing comes while nothing changes.
    const quiet = await Promise.race([
      peer.push('stats').then(() => 'pushed'),
      new Promise((resolve) => setTimeout(() => resolve('quiet'), 200)),
    ]);
    assert.equal(quiet, 'quiet');
    peer.ws.close();
    subscription?.unsubscribe();
    hub.dispose();
  });

  test('logs pushes the log lines the driver gives, from the moment it is asked', async () => {
    const peer = await Peer.open(wsUrl(served.port));
    served.logs.next({ level: 'info', line: 'before' });
    assert.equal((await peer.ask('logs'))['ok'], true);
    served.logs.next({ level: 'warn', line: '[01/01/2026 00:00:00] warn: something' });
    assert.deepEqual(await peer.push('log'), {
      push: 'log',
      level: 'warn',
      line: '[01/01/2026 00:00:00] warn: something',
    });
    peer.ws.close();
  });
});

describe('web endpoint: bad input disturbs no one else', { timeout: 60_000 }, () => {
  let served: Served;
  let bystander: Peer;
  before(async () => {
    served = await serve();
    bystander = await Peer.open(wsUrl(served.port));
    assert.equal((await bystander.ask('open', { name: 'bystander' }))['ok'], true);
  });
  after(async () => {
    bystander.ws.close();
    served.stop();
  });

  const bystanderFine = async (): Promise<void> => {
    assert.equal((await bystander.ask('status'))['ok'], true);
    assert.ok(served.hub.snapshot().clients.some((c) => c.name === 'bystander'));
  };

  test('a frame over 1 MiB closes that connection (1009); the others carry on', async () => {
    const big = await Peer.open(wsUrl(served.port));
    assert.equal((await big.ask('open', { name: 'big' }))['ok'], true);
    big.ws.send(`{"op":"send","event":{"type":"sysEx","data":[${'1,'.repeat(600_000)}1]}}`);
    const { code } = await big.closed;
    assert.equal(code, 1009);
    await until(() => !served.hub.snapshot().clients.some((c) => c.name === 'big'), 'its client to close');
    assert.ok(served.notices.some((n) => n.kind === 'log' && /Max payload size exceeded/i.test(n.message)));
    await bystanderFine();
  });

  test('a text frame that is not UTF-8 closes that connection (1007)', async () => {
    const peer = await Peer.open(wsUrl(served.port));
    // ws checks UTF-8 before it sends too; `binary: false` on raw bytes sends them as a text frame.
    peer.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    assert.equal((await peer.closed).code, 1007);
    await bystanderFine();
  });

  test('a flood of malformed frames is answered, one error each, and leaves the others alone', async () => {
    const flood = await Peer.open(wsUrl(served.port));
    const n = 5000;
    for (let i = 0; i < n; i++) flood.ws.send(i % 2 ? `garbage ${i}` : `{"op":"send","id":${i}}`);
    for (let i = 0; i < n; i++) assert.equal((await flood.reply())['ok'], false);
    await bystanderFine();
    flood.ws.close();
  });

  test('a reader that stops reading is dropped once 8 MiB wait for it; memory stays bounded', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const stalled = await Peer.open(wsUrl(served.port));
    stalled.ws.pause(); // reads nothing more
    const request = JSON.stringify({ op: 'clients' });
    let sent = 0;
    let closed = false;
    void stalled.closed.then(() => (closed = true));
    while (!closed && sent < 400_000) {
      stalled.ws.send(request);
      sent += 1;
      if (sent % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(
      () => served.notices.some((n) => n.kind === 'log' && /reads too slowly/.test(n.message)),
      'the slow reader to be dropped',
    );
    stalled.ws.terminate();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 200 << 20, `the heap grew by ${grown} bytes`);
    await bystanderFine();
  });

  test('a page that vanishes mid-SysEx (half a fragmented message) is closed and its connections dropped', async () => {
    const page = await Peer.open(wsUrl(served.port));
    assert.equal((await page.ask('open', { name: 'vanishing' }))['ok'], true);
    assert.equal((await page.ask('connect', { src: 'vanishing', dst: 'bystander' }))['ok'], true);
    assert.equal((await page.ask('connect', { src: 'bystander', dst: 'vanishing' }))['ok'], true);
    // The first fragment of a frame whose end never comes.
    page.ws.send(`{"op":"send","event":{"type":"sysEx","data":[${'66,'.repeat(20_000)}`, { fin: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    page.ws.terminate();
    await until(
      () => !served.hub.snapshot().clients.some((c) => c.name === 'vanishing'),
      'its client to close',
    );
    assert.deepEqual(served.hub.snapshot().connections, []);
    await bystanderFine();
  });
});
