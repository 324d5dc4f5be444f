// `msInetDriver -d` as users run it (dist/bin, SPEC §9): it returns only once the
// daemon serves, with exit 0 and the pid, or with the daemon's own reason and exit 1.
// A second daemon on the same port, an unwritable log, a live and a stale pid file,
// SIGHUP with the log moved away, a user who is not root, and SIGTERM, which says Bye
// (seen by a raw station on another host of a network-namespace lab).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, BUILT_DRIVER, BUILT_MSINET, runBuilt, type Finished } from '../harness/built.js';
import { canUseNetns, Lab } from '../harness/lab.js';
import { startRawStation } from '../harness/raw-station-process.js';
import { freePort, until } from './cli-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-daemon-'));
const daemons = new Set<number>();
const cleanups: string[] = [];
/** A log line as the driver writes it: `[dd/mm/yyyy hh:mm:ss] text`. */
const LOG_LINE = /^\[\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\] /;
const ANNOUNCED = /^msInetDriver: running as a daemon \(pid (\d+)\), log: (.+?)(?:, pid file: (.+))?$/;

before(() => assertBuilt());
after(() => {
  for (const pid of daemons) signal(pid, 'SIGKILL');
  for (const folder of [dir, ...cleanups]) rmSync(folder, { recursive: true, force: true });
});

function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

const driver = (args: readonly string[]) => runBuilt(BUILT_DRIVER, args);
const path = (name: string) => join(dir, name);
const text = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** The pid a successful `-d` announced; remembered so that `after` kills it if a test did not. */
function announcedPid(result: Finished): number {
  assert.equal(result.code, 0, `exit 0\n${result.stderr}`);
  assert.equal(result.stderr, '');
  const match = ANNOUNCED.exec(result.stdout.trimEnd());
  assert.ok(match, `one line with the pid: ${result.stdout}`);
  const pid = Number(match[1]);
  daemons.add(pid);
  return pid;
}

async function stopDaemon(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  await until(() => !signal(pid, 0), `daemon ${pid} to end on SIGTERM`, 10_000);
  daemons.delete(pid);
}

describe('msInetDriver -d', { timeout: 120_000 }, () => {
  test('returns once the daemon serves: exit 0 and its pid, in the pid file too; SIGHUP reopens a moved log; SIGTERM ends it', async () => {
    const port = await freePort();
    const [socket, log, pidFile] = [path('a.sock'), path('a.log'), path('a.pid')];
    const started = await driver([
      '-d',
      '-log',
      log,
      '-p',
      String(port),
      '--socket',
      socket,
      '--pidfile',
      pidFile,
    ]);
    const pid = announcedPid(started);
    assert.equal(
      started.stdout,
      `msInetDriver: running as a daemon (pid ${pid}), log: ${log}, pid file: ${pidFile}\n`,
    );
    // Serving already, not soon: the endpoint answers and the pid file is there the moment -d returns.
    assert.equal(text(pidFile), `${pid}\n`);
    const status = await runBuilt(BUILT_MSINET, ['--socket', socket, 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).port, port);
    const startup = text(log).trimEnd().split('\n');
    assert.ok(
      startup.every((line) => LOG_LINE.test(line)),
      startup.join('\n'),
    );
    assert.match(startup[0] ?? '', /MidiShare Internet driver \(msinet .*\), LAN mode$/);
    assert.ok(startup.some((l) => /MidiShare Internet driver is running, asleep/.test(l)));
    assert.ok(
      startup.some((l) => l.endsWith(`UDP port: ${port} maximum latency allowed: 10 grouping time: 10`)),
    );
    assert.ok(startup.some((l) => l.endsWith(`pid file: ${pidFile}`)));
    assert.ok(!startup.some((l) => l.includes("type 'q'")), 'no terminal, so no q to type');

    // logrotate's way: move the file away, SIGHUP, and the lines after it go to a new file of the old name.
    const rotated = `${log}.1`;
    renameSync(log, rotated);
    assert.ok(signal(pid, 'SIGHUP'));
    await until(() => existsSync(log), 'SIGHUP to make a new log file');
    assert.ok(signal(pid, 0), 'SIGHUP does not end the daemon');

    await stopDaemon(pid);
    assert.match(text(log), /^\[[^\]]+\] quitting \(SIGTERM\)$/m, 'the new file has the lines after SIGHUP');
    assert.ok(!text(rotated).includes('quitting'), 'the moved file gets nothing more');
    assert.equal(existsSync(pidFile), false, 'the pid file goes with the daemon');
    assert.equal(existsSync(socket), false, 'and so does the socket');
  });

  test('a second daemon on the same port: exit 1 with the daemon’s own reason; the first carries on', async () => {
    const port = await freePort();
    const first = announcedPid(
      await driver(['-d', '-log', path('first.log'), '-p', String(port), '--socket', path('first.sock')]),
    );
    const second = await driver([
      '-d',
      '-log',
      path('second.log'),
      '-p',
      String(port),
      '--socket',
      path('second.sock'),
      '--pidfile',
      path('second.pid'),
    ]);
    assert.deepEqual(second, {
      code: 1,
      stdout: '',
      stderr: `msInetDriver: another driver is already using TCP port ${port} on 0.0.0.0\n`,
    });
    assert.equal(existsSync(path('second.pid')), false, 'no pid file for a daemon that never served');
    assert.equal(existsSync(path('second.sock')), false);
    assert.match(
      text(path('second.log')),
      /error: another driver is already using TCP port/,
      'its log says it too',
    );
    assert.ok(signal(first, 0), 'the first daemon still runs');
    await stopDaemon(first);
  });

  test('an unwritable log: exit 1 with the reason and a hint; nothing starts', async () => {
    const port = await freePort();
    const log = path('missing-folder/driver.log');
    const result = await driver(['-d', '-log', log, '-p', String(port), '--socket', path('nolog.sock')]);
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr:
        `msInetDriver: cannot write the log file: ENOENT: no such file or directory, open '${log}'; ` +
        'give another with -log <file>\n',
    });
    assert.equal(existsSync(path('nolog.sock')), false);
  });

  test('a stale pid file (its process gone) is recognised and replaced; a live one refuses a second daemon', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(gone.stdout);
    assert.ok(deadPid > 0 && !signal(deadPid, 0), 'a pid no process has now');
    const pidFile = path('stale.pid');
    writeFileSync(pidFile, `${deadPid}\n`);
    const log = path('stale.log');
    const pid = announcedPid(
      await driver([
        '-d',
        '-log',
        log,
        '-p',
        String(await freePort()),
        '--socket',
        path('stale.sock'),
        '--pidfile',
        pidFile,
      ]),
    );
    assert.equal(text(pidFile), `${pid}\n`);
    assert.match(
      text(log),
      new RegExp(`pid file: ${pidFile} \\(replaces a stale one: pid ${deadPid} is gone\\)`),
    );

    const refused = await driver([
      '-d',
      '-log',
      log,
      '-p',
      String(await freePort()),
      '--socket',
      path('live.sock'),
      '--pidfile',
      pidFile,
    ]);
    assert.deepEqual(refused, {
      code: 1,
      stdout: '',
      stderr:
        `msInetDriver: the pid file ${pidFile} names pid ${pid}, an msInetDriver that is running: ` +
        `stop it first (kill ${pid}) or give another --pidfile\n`,
    });
    assert.equal(text(pidFile), `${pid}\n`, 'the live pid file is left alone');
    await stopDaemon(pid);
  });

  test(
    'a user who is not root gets a log they can write, in ~/.local/state/msinet',
    { skip: process.getuid?.() === 0 ? false : 'needs root to run as another user' },
    async () => {
      // Outside `dir` (mode 0700, root's): a home the other user can reach.
      const home = mkdtempSync(join(tmpdir(), 'msinet-nobody-'));
      cleanups.push(home);
      chownSync(home, 65534, 65534);
      const socket = join(home, 'driver.sock');
      const started = await runBuilt(
        BUILT_DRIVER,
        ['-d', '-p', String(await freePort()), '--socket', socket],
        {
          command: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath],
          env: { HOME: home, XDG_STATE_HOME: '' },
        },
      );
      const log = join(home, '.local/state/msinet/msInetDriver.log');
      const pid = announcedPid(started);
      assert.equal(started.stdout, `msInetDriver: running as a daemon (pid ${pid}), log: ${log}\n`);
      assert.match(text(log), /local clients: /);
      await stopDaemon(pid);
    },
  );
});

const netns = canUseNetns();

describe(
  'msInetDriver -d and SIGTERM on a LAN',
  { timeout: 120_000, skip: netns.ok ? false : netns.why },
  () => {
    let lab: Lab;
    before(async () => {
      lab = await Lab.start({ hosts: ['hostA', 'hostB'], subnet: '10.77.41' });
    });
    after(async () => {
      await lab?.stop();
    });

    test('the daemon, woken by a client, says Bye when SIGTERM ends it', async () => {
      const port = 4950;
      const watcher = await startRawStation(lab, 'hostB', { name: 'watcher', port });
      const socket = path('lan.sock');
      const started = await lab.run(
        'hostA',
        process.execPath,
        [BUILT_DRIVER, '-d', '-log', path('lan.log'), '-p', String(port), '--socket', socket],
        { timeoutMs: 60_000 },
      );
      const pid = announcedPid({ ...started, stdout: `${started.stdout}\n` });
      const dump = lab.spawn('hostA', process.execPath, [BUILT_MSINET, '--socket', socket, 'dump']);
      const fromA = `${lab.address('hostA')}:${port}`;
      await watcher.waitForPacket((p) => p.from === fromA && p.packet.kind === 'hostId', 20_000);
      assert.ok(
        !watcher.received().some((p) => p.from === fromA && p.packet.kind === 'bye'),
        'no Bye while it runs',
      );

      assert.ok(signal(pid, 'SIGTERM'));
      const bye = await watcher.waitForPacket((p) => p.from === fromA && p.packet.kind === 'bye', 10_000);
      assert.equal(bye.via, 'broadcast');
      await until(() => !signal(pid, 0), 'the daemon to end');
      daemons.delete(pid);
      assert.match(text(path('lan.log')), /quitting \(SIGTERM\)/);
      await dump.kill('SIGTERM');
      await watcher.close();
    });
  },
);
