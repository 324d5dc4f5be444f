/**
 * The local endpoint is the driver owner's alone (mode 0600, SPEC §3); a user
 * it refuses is told so, and `--socket-group` shares it with a group (mode
 * 0660). Real processes: a driver as root, msinet as `nobody` (setpriv).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupIdIn } from '../../src/sources/group-id.js';
import { BUILT_MSINET } from '../harness/built.js';
import { freePort, startDriver, stopAll } from './cli-processes.js';

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const NOBODY = 65534;

/** `msinet <args>` run as the user nobody (group nogroup, no other groups). */
function msinetAsNobody(args: readonly string[]) {
  const run = spawnSync(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BUILT_MSINET, ...args],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe(
  'who may use the local endpoint',
  { skip: isRoot && hasSetpriv ? false : 'needs root and setpriv to run msinet as another user' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'msinet-perm-'));
    chmodSync(dir, 0o755); // the socket's own mode decides, not its folder's
    after(async () => {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('another user is refused with the reason and the two ways to share; --socket-group lets a member in', async () => {
      const mine = join(dir, 'mine.sock');
      await startDriver(await freePort(), mine);
      assert.equal(statSync(mine).mode & 0o777, 0o600);
      const refused = msinetAsNobody(['status', '--socket', mine]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(
        refused.stderr,
        `msinet: permission denied on ${mine}: the driver there belongs to user 0, mode 0600. ` +
          'Run msinet as that user, or start the driver with --socket-group <group> and join that group.\n',
      );

      const shared = join(dir, 'shared.sock');
      await startDriver(await freePort(), shared, ['--socket-group', 'nogroup']);
      const { mode, gid } = statSync(shared);
      assert.deepEqual([mode & 0o777, gid], [0o660, NOBODY]);
      const allowed = msinetAsNobody(['status', '--json', '--socket', shared]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(JSON.parse(allowed.stdout).mode, 'lan');
    });
  },
);

test('--socket-group names a group by name (from the group file) or by number', () => {
  const file = 'root:x:0:\naudio:x:29:pulse\nmidi:x:1234:alice,bob\n';
  assert.deepEqual(groupIdIn(file, 'midi'), { ok: true, value: 1234 });
  assert.deepEqual(groupIdIn(file, '29'), { ok: true, value: 29 });
  assert.deepEqual(groupIdIn(file, 'nosuch'), {
    ok: false,
    reason: "--socket-group: no group named 'nosuch' (see /etc/group)",
  });
});
