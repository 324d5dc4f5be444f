// Each msInetDriver flag through a real driver process on this machine (no
// root): what it changes that can be seen from outside — the socket it
// listens on, the port and client name it states, what it logs, how it refuses
// what it cannot do. Flags whose effect needs other stations (--late,
// --interface and --bind narrowing, --inbound/--outbound, Echo) are tested
// in test/netns/driver-on-the-wire.test.ts; -lat, -g, -d -log, -v and --help
// in driver-cli.test.ts; the parsing of every flag in parse-driver-args.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DRIVER_BIN,
  freePort,
  msinet,
  runProgram,
  START_TIMEOUT_MS,
  startDriver,
  startProgram,
  stopAll,
  until,
} from './cli-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-driver-flags-'));
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

let sockets = 0;
const socketPath = () => join(dir, `d${++sockets}.sock`);
const driver = (args: readonly string[]) => runProgram(DRIVER_BIN, args);

/** An info line as the driver logs it: a date, then no level tag. */
const INFO_LINE = /^\[[\d/ :]+\] (?!warn: |error: )/;

async function status(socket: string): Promise<Record<string, unknown>> {
  const shown = await msinet(['--socket', socket, 'status', '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout) as Record<string, unknown>;
}

/** Writes one line to the driver's endpoint as a careless client would; resolves with the reply. */
function rawRequest(socket: string, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket, () => connection.write(`${line}\n`));
    let text = '';
    connection.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end < 0) return;
      connection.destroy();
      resolve(JSON.parse(text.slice(0, end)) as Record<string, unknown>);
    });
    connection.on('error', reject);
  });
}

describe('msInetDriver flags, each through a real driver', { timeout: 90_000 }, () => {
  test('--socket: the endpoint is made there, mode 0600, and answers; -p: the port and the client name carry it', async () => {
    const port = await freePort();
    const socket = socketPath();
    const proc = await startDriver(port, socket);
    assert.ok(statSync(socket).isSocket());
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    assert.ok(proc.stderrLines.some((line) => line.endsWith(`local clients: ${socket}`)));
    assert.equal((await status(socket)).port, port);
    const listed = await msinet(['--socket', socket, 'clients', '--json']);
    assert.deepEqual(JSON.parse(listed.stdout), [{ ref: 0, name: `msLANDriver:${port}`, kind: 'driver' }]);
    proc.writeLine('q');
    assert.equal((await proc.exited).code, 0);
    assert.equal(existsSync(socket), false);
  });

  test('--verbose logs what the default level does (msinet has no debug message yet)', async () => {
    const port = await freePort();
    const proc = await startDriver(port, socketPath(), ['--verbose']);
    await proc.waitForLine(/is running/, 5_000, { stream: 'stderr' }); // said once it serves, just after
    for (const expected of [/is running/, /UDP port: \d+ maximum latency allowed/, /local clients: /]) {
      assert.ok(
        proc.stderrLines.some((line) => INFO_LINE.test(line) && expected.test(line)),
        `logs ${String(expected)}`,
      );
    }
    proc.writeLine('q');
    assert.equal((await proc.exited).code, 0);
  });

  test('--quiet logs no info line, but warnings still: a bad local line is reported', async () => {
    const port = await freePort();
    const socket = socketPath();
    const proc = startProgram(
      DRIVER_BIN,
      ['-p', String(port), '--socket', socket, '--quiet'],
      'quiet driver',
    );
    await until(
      async () => (await msinet(['--socket', socket, 'status'])).code === 0,
      'the quiet driver',
      START_TIMEOUT_MS,
    );
    const reply = await rawRequest(socket, 'this is not json');
    assert.equal(reply['ok'], false);
    const warning = await proc.waitForLine(/warn: local client: .*line 1: not JSON/, 5_000, {
      stream: 'stderr',
    });
    assert.ok(warning);
    proc.writeLine('q');
    assert.equal((await proc.exited).code, 0);
    const info = proc.stderrLines.filter((line) => INFO_LINE.test(line));
    assert.deepEqual(info, [], 'no info line, from start to quit');
  });

  test('-s: a WAN server (TCP server mode, -m 32) on the port given, awake with no client; q quits', async () => {
    const port = await freePort();
    const socket = socketPath();
    const proc = await startDriver(port, socket, ['-s']);
    assert.ok(proc.stderrLines.some((line) => line.endsWith('TCP server mode on: 32 clients allowed')));
    const shown = await status(socket);
    assert.deepEqual(
      [shown['mode'], shown['port'], shown['awake'], shown['maxLatency'], shown['grouping']],
      [
        'wan',
        port,
        true, // a WAN station never sleeps
        1500,
        200,
      ],
    );
    proc.writeLine('q');
    assert.equal((await proc.exited).code, 0);
  });

  test('--interface or --bind that names nothing usable: one error naming it, exit 1, nothing listens', async () => {
    const cases: [string[], RegExp][] = [
      [['--interface', 'nosuch0'], /error: no IPv4 interface or address "nosuch0" \(IPv4 interfaces: .*\)/],
      [
        ['--bind', '203.0.113.77'],
        /error: no IPv4 interface or address "203\.0\.113\.77" \(IPv4 interfaces: .*\)/,
      ],
      [['--interface', 'lo'], /error: "lo" has no IPv4 broadcast address \(loopback or point-to-point\)/],
    ];
    const results = await Promise.all(
      cases.map(async ([args]) => {
        const socket = socketPath();
        return {
          socket,
          result: await driver([...args, '--socket', socket, '-p', String(await freePort())]),
        };
      }),
    );
    for (const [i, { socket, result }] of results.entries()) {
      const [args, reason] = cases[i] as [string[], RegExp];
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.split('\n').filter((line) => reason.test(line)).length, 1, result.stderr);
      assert.equal(existsSync(socket), false, `${args.join(' ')}: nothing listens`);
    }
  });

  test('--inbound or --outbound that cannot be loaded: the reason, exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--inbound', join(dir, 'absent.js')], /error: .*absent\.js/],
      [['--outbound', 'test/fixtures/operators/no-default.ts'], /error: .*no-default\.ts.*default export/],
    ];
    for (const [args, reason] of cases) {
      const socket = socketPath();
      const result = await driver([...args, '--socket', socket, '-p', String(await freePort())]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, reason);
      assert.equal(existsSync(socket), false);
    }
  });

  test('--midi with no MIDI subsystem here: one warning line saying so; the driver runs on', async () => {
    const port = await freePort();
    const socket = socketPath();
    const proc = await startDriver(port, socket, ['--midi', '--midi-in', 'x', '--midi-out', 'y']);
    await proc.waitForLine(/no MIDI subsystem/, 5_000, { stream: 'stderr' });
    assert.ok(
      proc.stderrLines.filter((line) =>
        /warn: no MIDI subsystem: .*; running on without MIDI ports$/.test(line),
      ).length === 1,
      proc.stderrLines.join('\n'),
    );
    await sleep(100);
    assert.ok(proc.running);
    assert.equal((await status(socket)).port, port);
    proc.writeLine('q');
    assert.equal((await proc.exited).code, 0);
  });
});
