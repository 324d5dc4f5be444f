/** helloTimer in virtual time (SPEC §6): 6 HostIDs 50 ms apart on waking, then one every 100 ms. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { helloTimer } from '../src/operators/hello-timer.js';

describe('helloTimer', () => {
  test('a wake-up burst of 6, 50 ms apart, then every 100 ms', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      //            0      50       100      150      200      250            350            450
      const expected = 'a 49ms b 49ms c 49ms d 49ms e 49ms f 99ms g 99ms h';
      expectObservable(helloTimer(scheduler), '^ 500ms !').toBe(expected, {
        a: 0,
        b: 1,
        c: 2,
        d: 3,
        e: 4,
        f: 5,
        g: 6,
        h: 7,
      });
    });
  });

  test('unsubscribing stops it: no HostID while asleep', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      expectObservable(helloTimer(scheduler), '^ 120ms !').toBe('a 49ms b 49ms c', { a: 0, b: 1, c: 2 });
    });
  });
});
