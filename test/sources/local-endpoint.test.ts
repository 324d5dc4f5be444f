import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { createHub, type Hub } from '../../src/sinks/hub.js';
import { connectEndpoint, NoDriverError, type EndpointClient } from '../../src/tool/endpoint-client.js';
import {
  EndpointInUseError,
  serveLocalEndpoint,
  type EndpointNotice,
} from '../../src/sources/local-endpoint.js';
import type { DeliveryPush } from '../../src/wire/local-protocol.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-endpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let pathCount = 0;
const freshPath = (): string => join(dir, `e${++pathCount}.sock`);

/** An endpoint over a new hub, listening when the promise resolves. */
async function serve(
  path = freshPath(),
): Promise<{ hub: Hub; path: string; stop: () => void; notices: EndpointNotice[] }> {
  const hub = createHub({ driverName: 'msLANDriver' });
  const notices: EndpointNotice[] = [];
  let subscription: Subscription | undefined;
  await new Promise<void>((listening, failed) => {
    subscription = serveLocalEndpoint({ path, hub, status: () => ({ mode: 'lan', port: 4950 }) }).subscribe({
      next: (notice) => {
        notices.push(notice);
        if (notice.kind === 'listening') listening();
      },
      error: failed,
    });
  });
  return {
    hub,
    path,
    notices,
    stop: () => {
      subscription?.unsubscribe();
      hub.dispose();
    },
  };
}

/** A socket speaking raw lines: what a careless or hostile program sends. */
function raw(path: string): {
  socket: Socket;
  line: () => Promise<Record<string, unknown>>;
  ended: Promise<void>;
} {
  const socket = createConnection(path);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  socket.on('data', (chunk) => {
    buffered += chunk.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  socket.on('error', () => undefined);
  // Not events.once: it rejects on the EPIPE a writer gets from a closed connection.
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const line = (): Promise<Record<string, unknown>> =>
    new Promise<string>((resolve) => {
      const ready = lines.shift();
      if (ready !== undefined) resolve(ready);
      else waiting.push(resolve);
    }).then((text) => JSON.parse(text) as Record<string, unknown>);
  return { socket, line, ended };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 5000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('local endpoint: the socket', { timeout: 20_000 }, () => {
  test('is created with mode 0600 and removed when the endpoint stops', async () => {
    const endpoint = await serve();
    assert.equal(statSync(endpoint.path).mode & 0o777, 0o600);
    assert.ok(statSync(endpoint.path).isSocket());
    endpoint.stop();
    await until(() => !existsSync(endpoint.path), 'the socket file to go');
  });

  test('refuses to start where a live driver answers', async () => {
    const live = await serve();
    await assert.rejects(serve(live.path), EndpointInUseError);
    assert.ok((await connectEndpoint(live.path)) !== undefined, 'the live one still answers');
    live.stop();
  });

  test('replaces a stale socket file nobody answers on', async () => {
    const path = freshPath();
    // A process that listens and dies without cleaning up leaves a stale socket file behind.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(child.stdout, 'data');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(statSync(path).isSocket());
    await assert.rejects(connectEndpoint(path), NoDriverError);
    const endpoint = await serve(path);
    const client = await connectEndpoint(path);
    assert.equal((await client.request('clients')).ok, true);
    client.close();
    endpoint.stop();
  });

  test('leaves alone a path that is not a socket', async () => {
    const path = freshPath();
    writeFileSync(path, 'precious');
    await assert.rejects(serve(path), /not a socket/);
    assert.equal(readFileSync(path, 'utf8'), 'precious');
  });
});

describe('local endpoint: messages', { timeout: 20_000 }, () => {
  // Each test has an endpoint and a hub of its own: none depends on what another left open.
  let endpoint: Awaited<ReturnType<typeof serve>>;
  beforeEach(async () => {
    endpoint = await serve();
  });
  afterEach(() => endpoint.stop());

  test('queries open no client, so they never wake the driver', async () => {
    const client = await connectEndpoint(endpoint.path);
    const clients = await client.request('clients');
    assert.deepEqual(clients, {
      ok: true,
      op: 'clients',
      id: 1,
      clients: [{ ref: 0, name: 'msLANDriver', kind: 'driver' }],
      connections: [],
    });
    const status = await client.request('status');
    assert.deepEqual(status, {
      ok: true,
      op: 'status',
      id: 2,
      status: { awake: false, locals: 0, remotes: 0, mode: 'lan', port: 4950 },
    });
    assert.equal((await client.request('connect', { src: 'a', dst: 'b' })).ok, false);
    assert.equal(endpoint.hub.snapshot().clients.length, 1);
    client.close();
  });

  test('malformed lines get an error back; the connection and everyone else carry on', async () => {
    const bystander = await connectEndpoint(endpoint.path);
    assert.equal((await bystander.request('open', { name: 'bystander' })).ok, true);
    const { socket, line } = raw(endpoint.path);
    const cases: [string, RegExp][] = [
      ['this is not json', /not JSON/],
      ['[1,2,3]', /JSON object/],
      ['{"op":"dance"}', /op: expected one of open, close/],
      ['{"op":"clients","colour":"red"}', /colour: not a field of clients/],
      ['{"op":"send","event":{"type":"keyOn"}}', /open a client first/],
      ['{"op":"open"}', /name: expected a string/],
      ['{"op":"open","name":"rude","from":"x","fromRemotes":true}', /not both/],
      ['{"op":"open","name":"rude"}', /^$/],
      ['{"op":"send","id":"s1","event":{"type":"keyOn","pitch":300,"vel":1}}', /pitch/],
      ['{"op":"send","events":[{"type":"start"},{"type":"nope"}]}', /events\[1\]: type/],
      ['{"op":"connect","src":"rude","dst":"rude"}', /itself/],
    ];
    for (const [text, expected] of cases) {
      socket.write(`${text}\n`);
      let reply = await line();
      while ('push' in reply) reply = await line();
      if (expected.source === '^$') assert.equal(reply['ok'], true, text);
      else {
        assert.equal(reply['ok'], false, text);
        assert.match(String(reply['error']), expected, text);
      }
      if (text.includes('"id":"s1"')) assert.equal(reply['id'], 's1');
    }
    const names = endpoint.hub.snapshot().clients.map((c) => c.name);
    assert.deepEqual(names, ['msLANDriver', 'bystander', 'rude']);
    assert.equal((await bystander.request('clients')).ok, true);
    assert.ok(endpoint.notices.some((n) => n.kind === 'log' && /not JSON/.test(n.message)));
    socket.destroy();
    bystander.close();
    await until(() => endpoint.hub.snapshot().clients.length === 1, 'both clients to close');
  });

  test('a line longer than 1 MiB is an error and closes the connection', async () => {
    const { socket, line, ended } = raw(endpoint.path);
    socket.write('{"op":"open","name":"flood"}\n');
    assert.equal((await line())['ok'], true);
    socket.write(`{"op":"send","event":{"type":"sysEx","data":[${'1,'.repeat(600_000)}`);
    let reply = await line();
    while ('push' in reply) reply = await line();
    assert.equal(reply['ok'], false);
    assert.match(String(reply['error']), /longer than 1048576 bytes/);
    await ended;
    await until(
      () => !endpoint.hub.snapshot().clients.some((c) => c.name === 'flood'),
      'the client to close',
    );
  });

  test('a client that vanishes mid-line is closed and its connections dropped', async () => {
    const stays = await connectEndpoint(endpoint.path);
    await stays.request('open', { name: 'stays' });
    const { socket, line } = raw(endpoint.path);
    socket.write('{"op":"open","name":"vanishes"}\n');
    assert.equal((await line())['ok'], true);
    socket.write(
      '{"op":"connect","src":"vanishes","dst":"stays"}\n{"op":"connect","src":"stays","dst":"vanishes"}\n',
    );
    await until(() => endpoint.hub.snapshot().connections.length === 2, 'the connections');
    socket.write('{"op":"send","event":{"type":"keyOn","pi');
    socket.destroy();
    await until(() => endpoint.hub.snapshot().clients.length === 2, 'the vanished client to close');
    assert.deepEqual(endpoint.hub.snapshot().connections, []);
    assert.equal((await stays.request('status')).ok, true);
    stays.close();
  });

  test('two clients exchange events through it', async () => {
    const alice = await connectEndpoint(endpoint.path);
    const bob = await connectEndpoint(endpoint.path);
    assert.equal((await alice.request('open', { name: 'alice' })).ok, true);
    const bobOpen = await bob.request('open', { name: 'bob', from: 'alice' });
    assert.equal(bobOpen.ok, true);
    const toAlice = firstValueFrom(
      alice.pushes$.pipe(filter((p): p is DeliveryPush => p.push === 'delivery')),
    );
    const toBob = firstValueFrom(bob.pushes$.pipe(filter((p): p is DeliveryPush => p.push === 'delivery')));
    assert.equal((await bob.request('connect', { src: 'bob', dst: 'alice' })).ok, true);

    const sent = await alice.request('send', { event: { type: 'keyOn', pitch: 60, vel: 100 } });
    assert.deepEqual(sent, { ok: true, op: 'send', id: 2, sent: 1 });
    await bob.request('send', { events: [{ type: 'ctrlChange', chan: 3, ctrl: 7, value: 90 }] });

    const atBob = await toBob;
    assert.equal(atBob.from, 'alice');
    assert.deepEqual(atBob.event, { type: 'keyOn', date: atBob.time, port: 0, chan: 0, pitch: 60, vel: 100 });
    const atAlice = await toAlice;
    assert.equal(atAlice.from, 'bob');
    assert.deepEqual(atAlice.event, {
      type: 'ctrlChange',
      date: atAlice.time,
      port: 0,
      chan: 3,
      ctrl: 7,
      value: 90,
    });
    assert.deepEqual(await alice.request('drain'), { ok: true, op: 'drain', id: 3 });
    alice.close();
    bob.close();
    await until(() => endpoint.hub.snapshot().clients.length === 1, 'both to close');
  });

  test("deliveries as text: each the JSON of { time, from, event }, unparsed; the client's other pushes stay parsed", async () => {
    const alice = await connectEndpoint(endpoint.path);
    const bob = await connectEndpoint(endpoint.path, { deliveries: 'text' });
    assert.equal((await alice.request('open', { name: 'alice' })).ok, true);
    const parsedDeliveries: unknown[] = [];
    bob.pushes$.pipe(filter((p) => p.push === 'delivery')).subscribe((p) => parsedDeliveries.push(p));
    const lists = firstValueFrom(bob.pushes$.pipe(filter((p) => p.push === 'clients')));
    const text = firstValueFrom(bob.deliveryTexts$);
    assert.equal((await bob.request('open', { name: 'bob', from: 'alice' })).ok, true);
    assert.ok((await lists).push === 'clients', 'client lists still come parsed');

    await alice.request('send', { event: { type: 'keyOn', chan: 2, pitch: 61, vel: 99 } });
    const line = await text;
    const { time, from, event } = JSON.parse(line) as DeliveryPush;
    assert.equal(line, JSON.stringify({ time, from, event }), 'exactly the three fields, in that order');
    assert.equal(from, 'alice');
    assert.deepEqual(event, { type: 'keyOn', date: time, port: 0, chan: 2, pitch: 61, vel: 99 });
    assert.deepEqual(parsedDeliveries, []);
    alice.close();
    bob.close();
    await until(() => endpoint.hub.snapshot().clients.length === 1, 'both to close');
  });

  test('an open client is told of client-list changes', async () => {
    const watcher: EndpointClient = await connectEndpoint(endpoint.path);
    const lists: string[][] = [];
    watcher.pushes$.subscribe((p) => {
      if (p.push === 'clients') lists.push(p.clients.map((c) => c.name));
    });
    const reply = await watcher.request('open', { name: 'watcher', fromRemotes: true });
    const ref = endpoint.hub.snapshot().clients.find((c) => c.name === 'watcher')?.ref;
    assert.deepEqual(reply, { ok: true, op: 'open', id: 1, ref, name: 'watcher', woke: true, awakeMs: 0 });
    const hostA = endpoint.hub.addRemote('hostA', '10.0.0.2');
    assert.ok(hostA.ok);
    await until(() => lists.length >= 2, 'two lists');
    assert.deepEqual(lists.slice(0, 2), [
      ['msLANDriver', 'watcher'],
      ['msLANDriver', 'watcher', 'hostA'],
    ]);
    assert.deepEqual(endpoint.hub.snapshot().connections, [{ src: hostA.value.ref, dst: ref }]);
    endpoint.hub.removeRemote(hostA.value.ref);
    watcher.close();
    await until(() => endpoint.hub.snapshot().clients.length === 1, 'the watcher to close');
  });
});

describe('local endpoint: limits', { timeout: 60_000 }, () => {
  let endpoint: Awaited<ReturnType<typeof serve>>;
  beforeEach(async () => {
    endpoint = await serve();
  });
  afterEach(() => endpoint.stop());

  /** Deliveries a client received, counted as they come. */
  const counted = (client: EndpointClient) => {
    const got: DeliveryPush[] = [];
    client.pushes$
      .pipe(filter((p): p is DeliveryPush => p.push === 'delivery'))
      .subscribe((p) => got.push(p));
    return got;
  };

  test('4,096 events in one send go; 4,097 are refused, and none of them is sent', async () => {
    const player = await connectEndpoint(endpoint.path);
    const synth = await connectEndpoint(endpoint.path);
    assert.equal((await synth.request('open', { name: 'synth' })).ok, true);
    assert.equal((await player.request('open', { name: 'player' })).ok, true);
    assert.equal((await player.request('connect', { src: 'player', dst: 'synth' })).ok, true);
    const got = counted(synth);
    const events = (n: number, chan: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: 'ctrlChange',
        chan,
        ctrl: i % 128,
        value: (i >> 7) % 128,
      }));

    const { id: _one, ...allSent } = await player.request('send', { events: events(4_096, 1) });
    assert.deepEqual(allSent, { ok: true, op: 'send', sent: 4_096 });
    const { id: _two, ...refused } = await player.request('send', { events: events(4_097, 2) });
    assert.deepEqual(refused, { ok: false, op: 'send', error: 'events: more than 4096 in one request' });
    // A last event, sent after the refused ones: once it is in, anything they sent would be too.
    await player.request('send', { event: { type: 'stop', chan: 3 } });
    await until(() => got.some((d) => d.event['type'] === 'stop'), 'the last event');
    assert.equal(got.filter((d) => d.event['chan'] === 1).length, 4_096, 'all of the 4,096');
    assert.equal(got.filter((d) => d.event['chan'] === 2).length, 0, 'none of the 4,097');
    player.close();
    synth.close();
  });

  test('a reader that leaves more than 8 MiB unread is dropped; the sender and other readers carry on', async (t) => {
    const player = await connectEndpoint(endpoint.path);
    const reader = await connectEndpoint(endpoint.path);
    assert.equal((await player.request('open', { name: 'player' })).ok, true);
    assert.equal((await reader.request('open', { name: 'reader', from: 'player' })).ok, true);
    const read = counted(reader);
    const slow = raw(endpoint.path);
    slow.socket.write('{"op":"open","name":"slow","from":"player"}\n');
    assert.equal((await slow.line())['ok'], true);
    slow.socket.pause(); // reads nothing more: the kernel's buffers fill, then the endpoint's

    // SysEx deliveries of about 1.3 KB each, 700 to a request (a request line stays under
    // its 1 MiB limit), until the slow reader is dropped.
    const PER_REQUEST = 700;
    const sysEx = { type: 'sysEx', data: new Array<number>(300).fill(0x7f) };
    const dropped = () =>
      endpoint.notices.find((n) => n.kind === 'log' && /slow \(ref \d+\): reads too slowly/.test(n.message));
    let sent = 0;
    for (let request = 0; request < 40 && dropped() === undefined; request++) {
      const reply = await player.request('send', { events: new Array(PER_REQUEST).fill(sysEx) });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      sent += PER_REQUEST;
      await player.flushed();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const notice = dropped();
    assert.ok(notice?.kind === 'log', `dropped after ${sent} deliveries`);
    const unread = Number(/\((\d+) bytes unread\)/.exec(notice.message)?.[1]);
    t.diagnostic(`dropped after ${sent} deliveries sent, with ${unread} bytes unread`);
    // Not before 8 MiB, and not long after: a loop turn's deliveries at most (a request's ~0.9 MB; 2 MiB of room).
    assert.ok(unread > 8 * 2 ** 20, `dropped at ${unread} bytes unread, not above 8 MiB`);
    assert.ok(unread < 10 * 2 ** 20, `${unread} bytes unread: the limit did not hold`);
    await until(
      () => !endpoint.hub.snapshot().clients.some((c) => c.name === 'slow'),
      'the slow reader to be closed',
    );
    slow.socket.resume();
    await slow.ended;

    // The others carry on: the reader has every event, the player still sends.
    await until(() => read.length >= sent, `the reader's ${sent} deliveries`);
    assert.equal((await player.request('send', { event: { type: 'stop' } })).ok, true);
    await until(() => read.some((d) => d.event['type'] === 'stop'), 'the event after the drop');
    player.close();
    reader.close();
  });

  test('3,000 clients that come and go, half of them vanishing mid-line, leave nothing behind on the heap', async (t) => {
    // A collection on demand, as --expose-gc would give it, to read the heap without garbage.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heapAfterGc = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return process.memoryUsage().heapUsed;
    };
    const listener = await connectEndpoint(endpoint.path);
    assert.equal((await listener.request('open', { name: 'listener' })).ok, true);
    // Counted, not kept: this process's heap is the one measured.
    let heard = 0;
    listener.pushes$.pipe(filter((p) => p.push === 'delivery')).subscribe(() => (heard += 1));
    const churn = async (clients: number) => {
      for (let i = 0; i < clients; i++) {
        const { socket, line, ended } = raw(endpoint.path);
        const name = `churn-${i}`;
        socket.write(
          `${JSON.stringify({ op: 'open', name, transient: i % 4 < 2 })}\n` +
            `${JSON.stringify({ op: 'connect', src: name, dst: 'listener' })}\n` +
            `${JSON.stringify({ op: 'send', events: [{ type: 'start' }, { type: 'keyOn', pitch: 1, vel: 1, date: 1e12 }] })}\n`,
        );
        for (let replies = 0; replies < 3;) if (!('push' in (await line()))) replies += 1;
        if (i % 2 === 0) socket.end('{"op":"close"}\n');
        else {
          socket.write('{"op":"send","event":{"type":"ke');
          socket.destroy();
        }
        await ended;
      }
    };
    await churn(300); // the code paths warmed up, their caches filled
    const before = await heapAfterGc();
    await churn(3_000);
    await until(() => endpoint.hub.snapshot().clients.length === 2, 'the churn to be gone');
    const grown = (await heapAfterGc()) - before;
    t.diagnostic(
      `heap after GC grew ${(grown / 1024).toFixed(0)} KiB over 3,000 clients; the listener heard ${heard}`,
    );
    assert.ok(heard >= 3_300, 'each client reached the listener');
    // Measured: about 200 bytes a client (this test's own bookkeeping among them). A client's state left behind (its session, Subjects,
    // subscriptions, a held event) is kilobytes: 3,000 of them would be several MiB.
    assert.ok(grown < 2 * 2 ** 20, `${(grown / 1024).toFixed(0)} KiB left on the heap`);
    listener.close();
  });
});
