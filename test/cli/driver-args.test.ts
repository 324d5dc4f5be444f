/** msInetDriver's flags for the daemon (SPEC §9), parsed without running anything. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDriverArgs } from '../../src/cli.js';

const ann = { uid: 1000, home: '/home/ann' };

describe('msInetDriver daemon flags', () => {
  test('--pidfile names the pid file; without it there is none', () => {
    const withFile = parseDriverArgs(['-d', '--pidfile', '/run/msinet.pid'], ann);
    assert.equal(withFile.kind === 'run' ? withFile.config.pidFile : withFile.kind, '/run/msinet.pid');
    const without = parseDriverArgs(['-d'], ann);
    assert.equal(without.kind === 'run' ? without.config.pidFile : without.kind, undefined);
  });

  test('-log: the file given, or the default for the user (and it is said to be the default)', () => {
    const given = parseDriverArgs(['-d', '-log', '/tmp/x.log'], ann);
    assert.deepEqual(given.kind === 'run' ? [given.config.logFile, given.defaultLog] : given, [
      '/tmp/x.log',
      false,
    ]);
    const mine = parseDriverArgs(['-d'], ann);
    assert.deepEqual(mine.kind === 'run' ? [mine.config.logFile, mine.defaultLog] : mine, [
      '/home/ann/.local/state/msinet/msInetDriver.log',
      true,
    ]);
    const root = parseDriverArgs(['-d'], { uid: 0, home: '/root' });
    assert.equal(root.kind === 'run' ? root.config.logFile : root.kind, '/var/log/msInetDriver.log');
  });

  test('an empty -log or --pidfile is an error naming the flag', () => {
    for (const flag of ['-log', '--pidfile']) {
      const parsed = parseDriverArgs(['-d', flag, ''], ann);
      assert.equal(parsed.kind, 'error');
      assert.match(parsed.kind === 'error' ? parsed.reason : '', new RegExp(`^${flag}: needs a value`));
    }
  });
});
