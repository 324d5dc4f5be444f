/**
 * sleepUntilFirstClient(awake$) in virtual time. The rule under test
 * (SPEC §6 Sleeping): as long as no local client is open the network is not
 * subscribed (no socket, no packet); the first client wakes it, the last one
 * to close puts it back to sleep.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { sleepUntilFirstClient } from '../src/operators/sleep-until-first-client.js';

/** Awake or not, as the hub says (awakeWhileClients): counts of clients above 0 are awake. */
const counts = { 0: false, 1: true, 2: true, 3: true };

describe('sleepUntilFirstClient', () => {
  test('subscribes the network at the first client and releases it after the last', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const clients = hot(' 0---1---2-------1---0-------1----|', counts);
      const network = hot(' -a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-');
      const subs = [
        '                   ----^---------------!------------',
        '                   ----------------------------^----!',
      ];
      const expected = '    -----c-d-e-f-g-h-i-j---------o-p-|';
      expectObservable(network.pipe(sleepUntilFirstClient(clients))).toBe(expected);
      expectSubscriptions(network.subscriptions).toBe(subs);
    });
  });

  test('no client ever: the network is never subscribed', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const network = cold('a-b-c');
      expectObservable(network.pipe(sleepUntilFirstClient(hot('0---0---|', counts)))).toBe('--------|');
      expectSubscriptions(network.subscriptions).toBe([]);
    });
  });

  test('empty: clientCount$ completes at once and nothing is subscribed', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable, expectSubscriptions }) => {
      const network = cold('a-b-c');
      expectObservable(network.pipe(sleepUntilFirstClient(cold<boolean>('|')))).toBe('|');
      expectSubscriptions(network.subscriptions).toBe([]);
    });
  });

  test('never: no count, no network, no output', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable, expectSubscriptions }) => {
      const network = cold('a-b-c');
      expectObservable(network.pipe(sleepUntilFirstClient(cold<boolean>('-')))).toBe('-');
      expectSubscriptions(network.subscriptions).toBe([]);
    });
  });

  test('a network that completes while awake is subscribed again at the next wake-up', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const network = cold('a-|');
      const clients = hot(' 1-------0--1---|', counts);
      expectObservable(network.pipe(sleepUntilFirstClient(clients))).toBe('a----------a---|');
      expectSubscriptions(network.subscriptions).toBe(['^-!', '-----------^-!']);
    });
  });

  test('error: from the network while awake, forwarded and everything released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const network = hot(' --a--#');
      const clients = hot(' 1------', counts);
      expectObservable(network.pipe(sleepUntilFirstClient(clients))).toBe('--a--#');
      expectSubscriptions(clients.subscriptions).toBe('^----!');
    });
  });

  test('error: from clientCount$, forwarded and the network released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const network = hot(' --a--b--');
      expectObservable(network.pipe(sleepUntilFirstClient(hot('1---#', counts)))).toBe('--a-#');
      expectSubscriptions(network.subscriptions).toBe('^---!');
    });
  });

  test('early unsubscribe: the network is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const network = hot(' --a--b--');
      expectObservable(network.pipe(sleepUntilFirstClient(hot('1-------', counts))), '^----!').toBe('--a---');
      expectSubscriptions(network.subscriptions).toBe('^----!');
    });
  });

  test('reentrancy: falling asleep from inside a network value takes effect at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const awake = new Subject<boolean>();
      const network = hot(' --a--b--c--');
      const result = network.pipe(
        sleepUntilFirstClient(awake),
        tap((v) => {
          if (v === 'b') awake.next(false);
        }),
      );
      hot('1').subscribe(() => awake.next(true));
      expectObservable(result).toBe('--a--b-----');
      expectSubscriptions(network.subscriptions).toBe('^----!');
    });
  });
});
