/** helloTimer in virtual time (SPEC §6): 6 HostIDs 50 ms apart on waking, then one every 100 ms, and a welcome burst for a newcomer. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { helloTimer } from '../src/operators/hello-timer.js';

const reasons = { b: 'burst', p: 'period', w: 'welcome' } as const;

describe('helloTimer', () => {
  test('the diagram: a wake-up burst, the period, and one welcome burst for two newcomers 50 ms apart', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const newcomers = hot('400ms n 49ms n');
      //                0      50      100      150      200      250      350     400     450       500      550       600      650
      const expected =
        'b 49ms b 49ms b 49ms b 49ms b 49ms b 99ms p 49ms w 49ms (pw) 46ms w 49ms (pw) 46ms w 49ms (pw)';
      expectObservable(helloTimer(scheduler, newcomers), '^ 700ms !').toBe(expected, reasons);
    });
  });

  test('without newcomers: a wake-up burst of 6, 50 ms apart, then every 100 ms', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      //                0      50       100      150      200      250      350       450
      const expected = 'b 49ms b 49ms b 49ms b 49ms b 49ms b 99ms p 99ms p';
      expectObservable(helloTimer(scheduler), '^ 500ms !').toBe(expected, reasons);
    });
  });

  test('a newcomer after a welcome burst has ended gets a burst of its own', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const newcomers = hot('300ms n 299ms n');
      //                     250: wake-up burst ends    300: welcome w × 6 until 550; 600: a second welcome
      const expected =
        'b 49ms b 49ms b 49ms b 49ms b 49ms b 49ms w 49ms (pw) 46ms w 49ms (pw) 46ms w 49ms (pw) 46ms w 49ms (pw) 46ms w';
      expectObservable(helloTimer(scheduler, newcomers), '^ 701ms !').toBe(expected, reasons);
    });
  });

  test('unsubscribing stops it, a welcome burst too: no HostID while asleep', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const newcomers = hot('20ms n');
      expectObservable(helloTimer(scheduler, newcomers), '^ 120ms !').toBe(
        'b 19ms w 29ms b 19ms w 29ms b 19ms w',
        reasons,
      );
      expectSubscriptions(newcomers.subscriptions).toBe('^ 120ms !');
    });
  });
});
