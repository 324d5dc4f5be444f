import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
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
  let endpoint: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    endpoint = await serve();
  });
  after(() => endpoint.stop());

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
    assert.deepEqual(reply, { ok: true, op: 'open', id: 1, ref: 1, name: 'watcher', woke: true, awakeMs: 0 });
    const hostA = endpoint.hub.addRemote('hostA', '10.0.0.2');
    assert.ok(hostA.ok);
    await until(() => lists.length >= 2, 'two lists');
    assert.deepEqual(lists.slice(0, 2), [
      ['msLANDriver', 'watcher'],
      ['msLANDriver', 'watcher', 'hostA'],
    ]);
    assert.deepEqual(endpoint.hub.snapshot().connections, [{ src: hostA.value.ref, dst: 1 }]);
    endpoint.hub.removeRemote(hostA.value.ref);
    watcher.close();
    await until(() => endpoint.hub.snapshot().clients.length === 1, 'the watcher to close');
  });
});
