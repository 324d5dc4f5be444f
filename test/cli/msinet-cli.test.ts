// `msinet` against a real msInetDriver process on this machine, no remote
// station (SPEC §2, docs/local-protocol.md): the JSON forms scripts rely on,
// queries that never wake the driver, two local clients talking through it,
// and the failures that exit 1.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineProcess } from '../harness/line-process.js';
import { freePort, MSINET_BIN, msinet, startDriver, startProgram, stopAll, until } from './cli-processes.js';

interface ClientEntry {
  ref: number;
  name: string;
  kind: 'driver' | 'remote' | 'local';
  address?: string;
  stats?: Record<string, unknown>;
}

interface Delivery {
  time: number;
  from: string;
  event: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'msinet-cli-'));
const socket = join(dir, 'driver.sock');
let port: number;
let driverName: string;

before(async () => {
  port = await freePort();
  driverName = `msLANDriver:${port}`; // not the default port, so the name carries it (SPEC §1)
  await startDriver(port, socket);
});
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function clients(): Promise<ClientEntry[]> {
  const result = await msinet(['clients', '--json', '--socket', socket]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.split('\n').length, 2, 'one line of JSON');
  return JSON.parse(result.stdout) as ClientEntry[];
}

async function status(): Promise<Record<string, unknown>> {
  const result = await msinet(['--socket', socket, 'status', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A long-running `msinet dump --json`, once its client is listed by the driver. */
async function openDump(name: string, extra: readonly string[] = []): Promise<LineProcess> {
  const dump = startProgram(
    MSINET_BIN,
    ['dump', '--json', '--name', name, '--socket', socket, ...extra],
    name,
  );
  await until(async () => (await clients()).some((c) => c.name === name), `${name} to open`, 20_000, 0);
  return dump;
}

async function closeDump(dump: LineProcess): Promise<void> {
  dump.child.kill('SIGINT');
  assert.equal((await dump.exited).code, 0, `${dump.label} ends with 0 on SIGINT\n${dump.tail()}`);
}

function deliveries(dump: LineProcess, count: number): Promise<Delivery[]> {
  return dump.waitUntil(
    () =>
      dump.stdoutLines.length >= count
        ? dump.stdoutLines.slice(0, count).map((line) => JSON.parse(line) as Delivery)
        : undefined,
    15_000,
    `${count} deliveries`,
  );
}

function assertClientShape(entry: ClientEntry): void {
  const allowed = new Set(['ref', 'name', 'kind', 'address', 'stats']);
  for (const key of Object.keys(entry)) assert.ok(allowed.has(key), `unexpected key ${key}`);
  assert.ok(Number.isInteger(entry.ref) && entry.ref >= 0, 'ref is a whole number');
  assert.equal(typeof entry.name, 'string');
  assert.ok(['driver', 'remote', 'local'].includes(entry.kind), `kind ${entry.kind}`);
}

describe('msinet against a running driver', { timeout: 90_000 }, () => {
  // One driver for the file, but each test starts from it as fresh: asleep, no client but its own.
  // Each test closes what it opened; this waits for that (and tells which test did not).
  beforeEach(async () => {
    await until(
      async () => {
        const [state, listed] = await Promise.all([status(), clients()]);
        return state.awake === false && listed.length === 1;
      },
      'the driver asleep with no client left from another test',
      15_000,
      0,
    );
  });

  test('queries never wake the driver: status --json says asleep before, between and after them', async () => {
    const first = await status();
    assert.equal(first.awake, false);
    assert.equal(first.locals, 0);
    assert.equal(first.mode, 'lan');
    assert.equal(first.port, port);
    const queries = await Promise.all([
      msinet(['clients', '--socket', socket]),
      msinet(['clients', '--json', '--socket', socket]),
      msinet(['status', '--socket', socket]),
      msinet(['connect', driverName, 'nobody', '--socket', socket]),
    ]);
    assert.deepEqual(
      queries.map((q) => q.code),
      [0, 0, 0, 1],
    );
    assert.match(queries[0]?.stdout ?? '', new RegExp(`0\\s+driver\\s+${driverName}`));
    const last = await status();
    assert.equal(last.awake, false, 'still asleep after the queries');
    assert.equal(last.locals, 0);
  });

  test('clients --json: one array of { ref, name, kind, address?, stats? }; a dump wakes the driver until it ends', async () => {
    assert.deepEqual(await clients(), [{ ref: 0, name: driverName, kind: 'driver' }]);

    const dump = await openDump('listener');
    const listed = await clients();
    listed.forEach(assertClientShape);
    const listener = listed.find((c) => c.name === 'listener');
    assert.deepEqual(listed[0], { ref: 0, name: driverName, kind: 'driver' });
    assert.deepEqual(listener && { name: listener.name, kind: listener.kind }, {
      name: 'listener',
      kind: 'local',
    });
    assert.ok((listener?.ref ?? 0) > 0, 'a local client has a ref of its own');
    const awake = await status();
    assert.deepEqual([awake.awake, awake.locals], [true, 1]);

    await closeDump(dump);
    await until(async () => (await status()).awake === false, 'the driver to sleep again', 15_000, 0);
    assert.deepEqual(await clients(), [{ ref: 0, name: driverName, kind: 'driver' }]);
  });

  test('two local clients: send --name alice --to d2 reaches d2, and dump --from alice hears it too', async () => {
    // Local to local is allowed (docs/local-protocol.md: events go to every client connected
    // from the sender): d2 through the connection send makes, d1 through its --from rule.
    const [d1, d2] = await Promise.all([openDump('d1', ['--from', 'alice']), openDump('d2')]);
    const events = [
      { type: 'keyOn', port: 3, chan: 9, pitch: 60, vel: 100 },
      { type: 'ctrlChange', port: 0, chan: 1, ctrl: 7, value: 90 },
      { type: 'keyOff', port: 3, chan: 9, pitch: 60, vel: 0 },
      { type: 'sysEx', port: 0, chan: 0, data: [0x7e, 0x7f, 0x06, 0x01] },
    ];
    const sent = await msinet(['send', '--name', 'alice', '--to', 'd2', '--json', '--socket', socket], {
      input: events.map((e) => JSON.stringify(e)).join('\n') + '\n',
    });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout, '');

    for (const dump of [d1, d2]) {
      const got = await deliveries(dump, events.length);
      assert.deepEqual(
        got.map(({ from, event }) => ({ from, event: { ...event, date: undefined } })),
        events.map((event) => ({ from: 'alice', event: { ...event, date: undefined } })),
        `${dump.label} gets every event, in order, with its fields`,
      );
      for (const { time, event } of got) assert.equal(event.date, time, 'an event is dated when delivered');
      const times = got.map((d) => d.time);
      assert.deepEqual(
        [...times].sort((a, b) => a - b),
        times,
        'delivery times never go back',
      );
    }
    await Promise.all([closeDump(d1), closeDump(d2)]);
    assert.equal(d1.stdoutLines.length, events.length, 'nothing more for d1');
  });

  test('send --to nosuchname: a clear message and exit 1, asleep or awake; the failed client is closed', async (t) => {
    assert.equal((await status()).awake, false);
    const started = performance.now();
    const asleep = msinet(['send', '--to', 'nosuchname', 'keyOn:pitch=60:vel=100', '--socket', socket]);
    // This send woke the driver, so it gives stations time to appear before it gives up.
    await until(
      async () => (await clients()).some((c) => c.name === 'msinet-send'),
      'the waking send',
      20_000,
      0,
    );
    const keeper = await openDump('keeper');
    const awake = await msinet(['send', '--to', 'nosuchname', 'start', '--socket', socket]);
    const fromAsleep = await asleep;
    t.diagnostic(`the send that woke the driver gave up after ${Math.round(performance.now() - started)} ms`);
    for (const result of [awake, fromAsleep]) {
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^msinet: no client named 'nosuchname'/);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
    }
    const names = (await clients()).map((c) => c.name);
    assert.deepEqual(names, [driverName, 'keeper'], 'no msinet-send left behind');
    await closeDump(keeper);
  });

  test('no driver on the socket (or on the -p port): exit 1 saying so', async () => {
    const nowhere = join(dir, 'nothing-here.sock');
    const unusedPort = await freePort();
    const [bySocket, byPort] = await Promise.all([
      msinet(['status', '--socket', nowhere]),
      msinet(['-p', String(unusedPort), 'clients']),
    ]);
    assert.equal(bySocket.code, 1);
    assert.match(
      bySocket.stderr,
      new RegExp(`^msinet: no msInetDriver is running on ${nowhere.replace(/\./g, '\\.')}`),
    );
    assert.equal(byPort.code, 1);
    assert.match(
      byPort.stderr,
      new RegExp(`^msinet: no msInetDriver is running on \\S*msinet-${unusedPort}\\.sock`),
    );
  });
});
