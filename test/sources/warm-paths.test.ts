// The warm-up at each wake (src/sources/warm-paths.ts): it runs the per-event
// code before the station binds its sockets, so that no datagram waits in a
// socket while it holds the event loop (and is stamped late when read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defer, of, repeat, take } from 'rxjs';
import { afterWarmUp, warmPaths } from '../../src/sources/warm-paths.js';

test('each subscription (a wake) warms first, then subscribes the station', () => {
  const calls: string[] = [];
  const station$ = defer(() => {
    calls.push('bind');
    return of('station');
  });
  const woken = afterWarmUp(station$, () => calls.push('warm'));
  assert.deepEqual(calls, [], 'nothing runs before a wake');
  woken.pipe(repeat(2), take(2)).subscribe();
  assert.deepEqual(calls, ['warm', 'bind', 'warm', 'bind']);
});

test('the warm-up runs real events through the paths, unless MSINET_NO_WARMUP=1', () => {
  assert.ok(warmPaths({}) > 1000, 'events went all the way through');
  assert.equal(warmPaths({ MSINET_NO_WARMUP: '1' }), 0);
});
