/**
 * awakeWhileClients(lingerMs, scheduler) in virtual time. The rule under test
 * (SPEC §6 Sleeping, with --linger): awake from the first local client, asleep
 * lingerMs after the last one closed unless another opened meanwhile.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { awakeWhileClients } from '../src/operators/awake-while-clients.js';

const counts = { 0: 0, 1: 1, 2: 2 };
const states = { f: false, t: true };

describe('awakeWhileClients', () => {
  test('awake from the first client, asleep 5 ms after the last, a client meanwhile keeps it awake', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const clients = hot(' 0--1--0--1--0--------|', counts);
      const expected = '    f--t-------------f---|';
      expectObservable(clients.pipe(awakeWhileClients(5, scheduler))).toBe(expected, states);
    });
  });

  test('linger 0: asleep the moment the last client closes, as SPEC §6 says', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('0--1-2-1--0--|', counts).pipe(awakeWhileClients(0, scheduler))).toBe(
        'f--t------f--|',
        states,
      );
    });
  });

  test('a driver that starts with no client is asleep at once: no linger before the first wake', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('0-|', counts).pipe(awakeWhileClients(100, scheduler))).toBe('f-|', states);
    });
  });

  test('empty: completes', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('|').pipe(awakeWhileClients(5, scheduler))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('-').pipe(awakeWhileClients(5, scheduler))).toBe('-');
    });
  });

  test('error: forwarded, and a linger running is dropped', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('1-0-#', counts).pipe(awakeWhileClients(5, scheduler))).toBe('t---#', states);
    });
  });

  test('early unsubscribe: the counts and the linger timer are let go', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const clients = hot('1-0------', counts);
      expectObservable(clients.pipe(awakeWhileClients(5, scheduler)), '^ 3ms !').toBe('t---', states);
      expectSubscriptions(clients.subscriptions).toBe('^ 3ms !');
    });
  });

  test('reentrancy: a client opened from inside a "false" wakes it again at once, in that order', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const seen: Array<[number, boolean]> = [];
    scheduler.run(({ hot }) => {
      const counts$ = new Subject<number>();
      counts$
        .pipe(
          awakeWhileClients(2, scheduler),
          tap((awake) => {
            seen.push([scheduler.now(), awake]);
            if (!awake && seen.length === 2) counts$.next(1);
          }),
        )
        .subscribe();
      hot('1-0').subscribe((c) => counts$.next(Number(c)));
    });
    // What the operator emits, in its order (a tap's own subscriber would see the reentrant value first).
    assert.deepEqual(seen, [
      [0, true],
      [4, false],
      [4, true],
    ]);
  });
});
