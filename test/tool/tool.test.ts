import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Subscription } from 'rxjs';
import type { MidiEvent } from '../../src/model/event.js';
import { createHub, type Hub } from '../../src/sinks/hub.js';
import { serveLocalEndpoint } from '../../src/sources/local-endpoint.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'msinet-cli-'));
const socket = join(dir, 'driver.sock');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/bin/msinet.ts', ...args], { cwd: root });
}

/** Runs msinet to its end (killed after 30 s: a hang fails the test instead of stalling it). */
function msinet(args: string[], stdin = ''): Promise<Finished> {
  const child = start(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(stdin);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Lines a long-running msinet prints, as they come. */
function lines(child: ChildProcessWithoutNullStreams): (count: number) => Promise<string[]> {
  let text = '';
  child.stdout.on('data', (chunk) => (text += chunk));
  return async (count) => {
    await until(() => text.split('\n').length > count, `${count} lines from msinet`);
    return text.split('\n').slice(0, count);
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 20_000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let hub: Hub;
let endpoint: Subscription;

/**
 * `msinet send --to <name> <event>`, with station <name> added only once the
 * send's client is open: a station heard a moment after the driver woke.
 * Removed again when the send has ended.
 */
async function sendToLateStation(
  name: string,
  event: string,
): Promise<{ sent: Finished; events: MidiEvent[] }> {
  const sending = msinet(['send', '--to', name, event, '--socket', socket]);
  await until(() => hub.snapshot().clients.some((c) => c.name === 'msinet-send'), 'the send client');
  const station = hub.openRemote(name, '10.0.0.9');
  assert.ok(station.ok);
  const events: MidiEvent[] = [];
  station.value.outbound$.subscribe((e) => events.push(e));
  try {
    return { sent: await sending, events };
  } finally {
    station.value.close();
  }
}

before(async () => {
  hub = createHub({ driverName: 'msLANDriver' });
  await new Promise<void>((listening, failed) => {
    endpoint = serveLocalEndpoint({
      path: socket,
      hub,
      status: () => ({ mode: 'lan', port: 4950 }),
      stats: () => ({ late: 0, missing: 2 }),
    }).subscribe({ next: (n) => n.kind === 'listening' && listening(), error: failed });
  });
});
after(() => {
  endpoint.unsubscribe();
  hub.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('msinet against a driver endpoint', { timeout: 90_000 }, () => {
  test('clients --json prints one JSON array of { ref, name, kind, address?, stats? }', async () => {
    const hostA = hub.addRemote('hostA', '10.0.0.2');
    assert.ok(hostA.ok);
    try {
      const [before, after] = await Promise.all([
        msinet(['clients', '--json', '--socket', socket]),
        msinet(['--socket', socket, 'clients']),
      ]);
      assert.equal(before.code, 0, before.stderr);
      assert.deepEqual(JSON.parse(before.stdout), [
        { ref: 0, name: 'msLANDriver', kind: 'driver' },
        {
          ref: hostA.value.ref,
          name: 'hostA',
          kind: 'remote',
          address: '10.0.0.2',
          stats: { late: 0, missing: 2 },
        },
      ]);
      assert.equal(before.stdout.trim().split('\n').length, 1);
      assert.equal(after.code, 0, after.stderr);
      assert.match(
        after.stdout,
        new RegExp(`^\\s*${hostA.value.ref}\\s+remote\\s+hostA\\s+10\\.0\\.0\\.2$`, 'm'),
      );
    } finally {
      hub.removeRemote(hostA.value.ref);
    }
  });

  test('send and dump --json between two msinet processes; dump stops on SIGINT with 0', async (t) => {
    const dump = start(['--socket', socket, 'dump', '--json']);
    t.after(() => dump.kill('SIGKILL'));
    const printed = lines(dump);
    const exited = new Promise<number | null>((resolve) => dump.on('close', resolve));
    await until(() => hub.snapshot().clients.some((c) => c.name === 'msinet-dump'), 'the dump client');

    const sent = await msinet([
      'send',
      '--socket',
      socket,
      '--to',
      'msinet-dump',
      'keyOn:chan=2:pitch=60:vel=100',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const fromStdin = await msinet(
      ['send', '--to', 'msinet-dump', '--json', '--socket', socket],
      '{"type":"ctrlChange","chan":1,"ctrl":7,"value":90}\n\n{"type":"progChange","value":5,"port":3}\n',
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);

    const received = (await printed(3)).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      received.map(({ from, event }) => ({ from, event: { ...(event as object), date: undefined } })),
      [
        {
          from: 'msinet-send',
          event: { type: 'keyOn', date: undefined, port: 0, chan: 2, pitch: 60, vel: 100 },
        },
        {
          from: 'msinet-send',
          event: { type: 'ctrlChange', date: undefined, port: 0, chan: 1, ctrl: 7, value: 90 },
        },
        { from: 'msinet-send', event: { type: 'progChange', date: undefined, port: 3, chan: 0, value: 5 } },
      ],
    );
    for (const { time, event } of received) assert.equal((event as { date: number }).date, time);

    dump.kill('SIGINT');
    assert.equal(await exited, 0);
    await until(() => hub.snapshot().clients.length === 1, 'the dump client to close');
  });

  test('send --json: a line that is no event is said with its number; every other line is sent, in order', async () => {
    const sink = hub.openLocal('sink');
    assert.ok(sink.ok);
    const received: number[] = [];
    sink.value.events$.subscribe(({ event }) => event.type === 'ctrlChange' && received.push(event.value));
    try {
      // 3,000 lines (several requests), two of them bad: not JSON, and JSON but no event.
      const lines = Array.from({ length: 3000 }, (_, i) =>
        JSON.stringify({ type: 'ctrlChange', ctrl: 7, value: i % 128 }),
      );
      lines[1499] = '{"type":"ctrlChange",';
      lines[2499] = '{"type":"ctrlChange","ctrl":7,"value":999}';
      const sent = await msinet(
        ['send', '--to', 'sink', '--json', '--socket', socket],
        `${lines.join('\n')}\n`,
      );
      assert.equal(sent.code, 1, 'a bad line makes the exit code 1');
      const said = sent.stderr.trimEnd().split('\n');
      assert.equal(said.length, 2, sent.stderr);
      assert.match(said[0] ?? '', /^msinet: line 1500: not JSON: /);
      assert.match(said[1] ?? '', /^msinet: line 2500: value: expected an integer 0–127, got 999$/);
      const expected = Array.from({ length: 3000 }, (_, i) => i % 128).filter(
        (_, i) => i !== 1499 && i !== 2499,
      );
      await until(() => received.length >= expected.length, 'the good lines');
      assert.deepEqual(received, expected);
    } finally {
      sink.value.close();
    }
  });

  test('dump --from a station prints readable lines', async (t) => {
    const hostA = hub.addRemote('hostA', '10.0.0.2');
    assert.ok(hostA.ok);
    const dump = start(['dump', '--from', 'hostA', '--socket', socket]);
    t.after(() => dump.kill('SIGKILL'));
    const printed = lines(dump);
    const exited = new Promise<number | null>((resolve) => dump.on('close', resolve));
    await until(
      () => hub.snapshot().connections.some((c) => c.src === hostA.value.ref),
      'the dump connected',
    );
    hub.deliver(hostA.value.ref, { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 });
    const [line] = await printed(1);
    assert.match(line ?? '', /^\d+\.\d{3} ms {2}hostA {2}keyOn .*60.*vel 100/);
    dump.kill('SIGTERM');
    assert.equal(await exited, 0);
    hub.removeRemote(hostA.value.ref);
  });

  test('connect, disconnect and status --json open no client', async () => {
    const synth = hub.openLocal('synth');
    const hostA = hub.addRemote('hostA');
    assert.ok(synth.ok && hostA.ok);
    try {
      const connected = await msinet(['--socket', socket, 'connect', 'hostA', String(synth.value.ref)]);
      assert.equal(connected.code, 0, connected.stderr);
      assert.deepEqual(hub.snapshot().connections, [{ src: hostA.value.ref, dst: synth.value.ref }]);
      const [disconnected, status] = await Promise.all([
        msinet(['--socket', socket, 'disconnect', 'hostA', 'synth']),
        msinet(['status', '--json', '--socket', socket]),
      ]);
      assert.equal(disconnected.code, 0, disconnected.stderr);
      assert.deepEqual(hub.snapshot().connections, []);
      assert.deepEqual(JSON.parse(status.stdout), {
        awake: true,
        locals: 1,
        remotes: 1,
        mode: 'lan',
        port: 4950,
      });
      assert.equal(hub.snapshot().clients.length, 3, 'no client was opened by the queries');
    } finally {
      synth.value.close();
      hub.removeRemote(hostA.value.ref);
    }
  });

  test('send that wakes the driver waits for the station to appear, then its events go out', async () => {
    assert.equal(hub.snapshot().clients.length, 1, 'the driver sleeps: no local client, no station');
    const { sent, events } = await sendToLateStation('hostLate', 'keyOn:pitch=64:vel=80');
    assert.equal(sent.code, 0, sent.stderr);
    assert.deepEqual(
      events.map((event) => ({ ...event, date: undefined })),
      [{ type: 'keyOn', date: undefined, port: 0, chan: 0, pitch: 64, vel: 80 }],
    );
  });

  test('a send that comes just after another client woke the driver waits for the station too', async () => {
    const waker = hub.openLocal('waker'); // a dump opened a moment before, say
    assert.ok(waker.ok);
    try {
      const { sent } = await sendToLateStation('hostLater', 'start');
      assert.equal(sent.code, 0, sent.stderr);
    } finally {
      waker.value.close();
    }
  });

  test('failures: unknown name, refused connection, no driver, bad usage — one line, exit 1', async () => {
    const awake = hub.openLocal('keeps-the-driver-awake');
    assert.ok(awake.ok);
    try {
      const [unknown, badConnect, noDriver, usage, badEvent] = await Promise.all([
        msinet(['send', '--to', 'nobody', 'start', '--socket', socket]),
        msinet(['connect', 'nobody', 'msLANDriver', '--socket', socket]),
        msinet(['clients', '--socket', join(dir, 'nothing-here.sock')]),
        msinet(['send', 'start', '--socket', socket]),
        msinet(['send', '--to', 'keeps-the-driver-awake', 'keyOn:pitch=999:vel=1', '--socket', socket]),
      ]);
      assert.deepEqual(
        [unknown.code, unknown.stderr],
        [
          1,
          "msinet: no client named 'nobody', and no station seen (same LAN and port -p on the others? are they awake?)\n",
        ],
      );
      assert.deepEqual([badConnect.code, badConnect.stderr], [1, "msinet: no client named 'nobody'\n"]);
      assert.equal(noDriver.code, 1);
      assert.equal(
        noDriver.stderr,
        `msinet: no msInetDriver is running on ${join(dir, 'nothing-here.sock')} (start one, or give --socket or -p)\n`,
      );
      assert.equal(usage.code, 1);
      assert.match(usage.stderr, /^msinet: Missing required argument: to\n/);
      assert.equal(badEvent.code, 1);
      assert.match(badEvent.stderr, /^msinet: 'keyOn:pitch=999:vel=1': pitch/);
      assert.equal(hub.snapshot().clients.length, 2, 'every failed send closed its client');
    } finally {
      awake.value.close();
    }
  });
});
