import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkPidFile, readPidFile, removePidFile, writePidFile } from '../../src/sinks/pid-file.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-pidfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that no process has any more. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(run.stdout);
}

describe('pid file', () => {
  test('absent, then written in one step, then removed only by the pid it names', () => {
    const file = join(dir, 'a.pid');
    assert.deepEqual(readPidFile(file), { kind: 'absent' });
    assert.deepEqual(writePidFile(file, 4242), { ok: true, value: undefined });
    assert.equal(readFileSync(file, 'utf8'), '4242\n');
    removePidFile(file, 1);
    assert.ok(existsSync(file), 'another pid does not remove it');
    removePidFile(file, 4242);
    assert.equal(existsSync(file), false);
  });

  test('stale: the process is gone, or the text is no pid', () => {
    const file = join(dir, 'stale.pid');
    const pid = deadPid();
    writeFileSync(file, `${pid}\n`);
    assert.deepEqual(readPidFile(file), { kind: 'stale', pid });
    assert.ok(checkPidFile(file).ok);
    writeFileSync(file, 'garbage');
    assert.deepEqual(readPidFile(file), { kind: 'stale', pid: undefined });
  });

  test('a live process that is not an msInetDriver (a reused pid) is stale too', () => {
    const file = join(dir, 'reused.pid');
    writeFileSync(file, `${process.ppid}\n`);
    const state = readPidFile(file);
    const cmdline = existsSync(`/proc/${process.ppid}/cmdline`)
      ? readFileSync(`/proc/${process.ppid}/cmdline`, 'latin1')
      : 'msInetDriver';
    assert.equal(state.kind, cmdline.includes('msInetDriver') ? 'live' : 'stale');
  });

  test('writing where one cannot says where and why', () => {
    const written = writePidFile(join(dir, 'no/such/folder.pid'), 1);
    assert.equal(written.ok, false);
    assert.match(
      written.ok ? '' : written.reason,
      /^cannot write the pid file .*no\/such\/folder\.pid: ENOENT/,
    );
  });
});
