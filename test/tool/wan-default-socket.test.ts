/**
 * msinet with neither --socket nor -p looks for the LAN driver's endpoint
 * (port 4950); when none is there but a WAN driver's is (-s, port 4951), that
 * is the one meant. A real msinet process, with its own temp folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, share } from 'rxjs';
import { createHub } from '../../src/sinks/hub.js';
import { serveLocalEndpoint } from '../../src/sources/local-endpoint.js';
import { REPO_ROOT } from '../harness/paths.js';

test('no --socket, no -p, no LAN driver: msinet finds the WAN driver on its default port', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-wan-default-'));
  const hub = createHub({ driverName: 'msWANDriver', alwaysAwake: true });
  const endpoint$ = serveLocalEndpoint({
    path: join(dir, 'msinet-4951.sock'),
    hub,
    status: () => ({ mode: 'wan' }),
  }).pipe(share());
  const listening = firstValueFrom(endpoint$.pipe(filter((notice) => notice.kind === 'listening')));
  const running = endpoint$.subscribe();
  try {
    await listening;
    // Not spawnSync: the endpoint answers from this very process, whose loop must run.
    const run = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/bin/msinet.ts', ...args],
          { cwd: REPO_ROOT, env: { ...process.env, TMPDIR: dir }, timeout: 30_000 },
          (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const found = await run(['status', '--json']);
    assert.equal(found.status, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).mode, 'wan');
    const named = await run(['status', '--json', '-p', '4950']);
    assert.equal(named.status, 1, 'a port given is the one meant: no search');
    assert.match(named.stderr, /no msInetDriver is running on .*msinet-4950\.sock/);
  } finally {
    running.unsubscribe();
    hub.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
