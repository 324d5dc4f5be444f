// `msInetDriver` as a child process on this machine (SPEC §2, §9): flags,
// refusals, the ways to quit. Every driver
// gets a port from the OS and a socket in a private temp dir.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DRIVER_BIN, freePort, msinet, runProgram, startDriver, stopAll } from './cli-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-driver-cli-'));

after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const driver = (args: readonly string[]) => runProgram(DRIVER_BIN, args);
const socketPath = (name: string) => join(dir, `${name}.sock`);

/** A log line as the driver writes it: `[dd/mm/yyyy hh:mm:ss] text`. */
const LOG_LINE = /^\[\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\] /;

describe('msInetDriver flags', { timeout: 60_000 }, () => {
  test('-v prints the version on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await driver(['-v']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^msInetDriver .*\d+\.\d+\.\d+.*protocol v1\n$/);
    assert.equal(stderr, '');
  });

  test('--help prints the usage with the historical flags on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await driver(['--help']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^usage: msInetDriver /);
    for (const flag of ['-p', '-lat', '-g', '-d', '-log', '-s', '-m', '-v', '--socket']) {
      assert.ok(stdout.includes(`[${flag}`), `usage mentions ${flag}`);
    }
    assert.equal(stderr, '');
  });

  const invalid: { args: string[]; names: RegExp }[] = [
    { args: ['-p', '0'], names: /-p\b.*\b0\b/ },
    { args: ['-p', '70000'], names: /-p\b.*70000/ },
    { args: ['-p', 'abc'], names: /-p\b.*abc/ },
    { args: ['-lat', '-1'], names: /-lat\b.*-1/ },
    { args: ['-g', 'x'], names: /-g\b.*\bx\b/ },
    { args: ['-m', '0'], names: /-m\b.*\b0\b/ },
    { args: ['--bogus'], names: /bogus/ },
  ];
  test('each invalid value: one line saying why, then the usage, on stderr; exit 1; nothing starts', async () => {
    const results = await Promise.all(
      invalid.map(({ args }) => driver([...args, '--socket', socketPath('never')])),
    );
    for (const [i, { code, stdout, stderr }] of results.entries()) {
      const { args, names } = invalid[i] as (typeof invalid)[number];
      const [reason = '', ...usage] = stderr.trimEnd().split('\n');
      assert.equal(code, 1, `${args.join(' ')} exits 1`);
      assert.equal(stdout, '', `${args.join(' ')}: nothing on stdout`);
      assert.match(reason, /^msInetDriver: \S/, `${args.join(' ')}: the reason comes first`);
      assert.match(reason, names, `${args.join(' ')}: the reason names the flag and value`);
      assert.match(usage[0] ?? '', /^usage: msInetDriver /, `${args.join(' ')}: then the usage`);
      assert.ok(!stderr.includes('is running'), `${args.join(' ')}: the driver never started`);
    }
    assert.equal(existsSync(socketPath('never')), false);
  });

  test('-lat 20 -g 5 is accepted and stated at start-up; q on stdin quits with 0', async () => {
    const port = await freePort();
    const socket = socketPath('lat');
    const proc = await startDriver(port, socket, ['-lat', '20', '-g', '5']);
    const stated = await proc.waitForLine(
      /UDP port: (\d+) maximum latency allowed: (\d+) grouping time: (\d+)/,
      5_000,
      {
        stream: 'stderr',
      },
    );
    assert.match(stated.line, LOG_LINE);
    assert.deepEqual(stated.match.slice(1), [String(port), '20', '5']);
    assert.match(proc.stderrLines[0] ?? '', /MidiShare Internet driver \(msinet .*\), LAN mode$/);
    const running = await proc.waitForLine(
      /MidiShare Internet driver is running, asleep: it wakes when/,
      5_000,
      {
        stream: 'stderr',
      },
    );
    const listening = proc.stderrLines.findIndex((line) => line.includes('local clients: '));
    assert.ok(listening >= 0 && listening < running.index, 'running is said once it serves, not before');

    const status = await msinet(['--socket', socket, 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(
      (({ maxLatency, grouping, port: p }) => ({ maxLatency, grouping, port: p }))(JSON.parse(status.stdout)),
      { maxLatency: 20, grouping: 5, port },
    );

    proc.writeLine('q');
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    assert.ok(proc.stderrLines.some((line) => /quitting \(q\)/.test(line)));
    assert.equal(existsSync(socket), false, 'the socket file is removed on the way out');
  });

  test('a second driver on the same port is refused with a clear message and exit 1, the first carries on', async () => {
    const port = await freePort();
    const socket = socketPath('first');
    const first = await startDriver(port, socket);
    const [sameSocket, otherSocket] = await Promise.all([
      driver(['-p', String(port), '--socket', socket]),
      driver(['-p', String(port), '--socket', socketPath('second')]),
    ]);
    for (const [what, result] of [
      ['same socket', sameSocket],
      ['other socket', otherSocket],
    ] as const) {
      assert.equal(result.code, 1, `${what}: exit 1\n${result.stderr}`);
      const refusal = result.stderr.split('\n').find((line) => /error: /.test(line)) ?? '';
      assert.match(refusal, /already/, `${what}: says another driver is there`);
      assert.ok(
        refusal.includes(String(port)) || refusal.includes(socket),
        `${what}: names the port or socket`,
      );
    }
    assert.equal(existsSync(socketPath('second')), false, 'the refused driver leaves no socket behind');

    assert.ok(first.running, 'the first driver still runs');
    const status = await msinet(['--socket', socket, 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).port, port);
    first.writeLine('q');
    assert.equal((await first.exited).code, 0);
  });

  test('a second driver on another port but the same socket path is refused too', async () => {
    const [port, otherPort] = [await freePort(), await freePort()];
    const socket = socketPath('shared');
    const first = await startDriver(port, socket);
    const second = await driver(['-p', String(otherPort), '--socket', socket]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`error: .*already.*${socket.replace(/[.]/g, '\\.')}`));
    const status = await msinet(['--socket', socket, 'status', '--json']);
    assert.equal(JSON.parse(status.stdout).port, port, 'the socket still belongs to the first');
    first.writeLine('q');
    assert.equal((await first.exited).code, 0);
  });

  test('SIGINT and SIGTERM quit cleanly with exit 0', async () => {
    const [intPort, termPort] = [await freePort(), await freePort()];
    const [onInt, onTerm] = await Promise.all([
      startDriver(intPort, socketPath('int')),
      startDriver(termPort, socketPath('term')),
    ]);
    // The signal goes to the driver alone (node), not its process group.
    onInt.child.kill('SIGINT');
    onTerm.child.kill('SIGTERM');
    const [intExit, termExit] = await Promise.all([onInt.exited, onTerm.exited]);
    assert.deepEqual(intExit, { code: 0, signal: null });
    assert.deepEqual(termExit, { code: 0, signal: null });
    assert.ok(onInt.stderrLines.some((line) => /quitting \(SIGINT\)/.test(line)));
    assert.ok(onTerm.stderrLines.some((line) => /quitting \(SIGTERM\)/.test(line)));
    assert.equal(existsSync(socketPath('int')) || existsSync(socketPath('term')), false);
  });
});

// The daemon (-d, --pidfile, SIGHUP, SIGTERM) as users run it: test/cli/daemon.test.ts.
