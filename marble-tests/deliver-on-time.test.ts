/**
 * deliverOnTime(late) in virtual time. The rule under test (SPEC §4 Latency):
 * each event of a plan leaves at `plan.at + rel`, dated with that local time;
 * late plans play at once or are dropped; pending events keep the output open.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { deliverOnTime, dueEvents } from '../src/operators/deliver-on-time.js';
import type { DeliveryPlan } from '../src/model/pipeline.js';
import type { MidiEvent } from '../src/model/event.js';
import { at, keyOn } from './fixtures.js';

const plan = (atTime: number, events: MidiEvent[], late = false): DeliveryPlan => ({
  kind: 'plan',
  at: atTime,
  transit: 0,
  late,
  continuation: false,
  releasesNotes: false,
  events,
});
const A = keyOn(60);
const B = keyOn(62);
const C = keyOn(64);

describe('deliverOnTime', () => {
  test("a plan at 23 with rel dates 0 and 4 delivers at 23 and 27; a late one at once, or with late = 'drop' not at all", () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const plans = { x: plan(23, [at(A, 0), at(B, 4)]), y: plan(25, [at(C, 0)], true) };
      const source = hot('  -------------x-----------y--|', plans);
      const played = '      -----------------------a-c-b|';
      const dropped = '     -----------------------a---b|';
      const delivered = { a: at(A, 23), b: at(B, 27), c: at(C, 25) };
      expectObservable(source.pipe(deliverOnTime('play'))).toBe(played, delivered);
      expectObservable(source.pipe(deliverOnTime('drop'))).toBe(dropped, delivered);
      expectSubscriptions(source.subscriptions).toBe([
        '^---------------------------!',
        '^---------------------------!',
      ]);
    });
  });

  test('completes only after its last due event: plans done at 5, last event due at 30, output done at 30', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -x---|', { x: plan(20, [at(A, 0), at(B, 10)]) });
      expectObservable(source.pipe(deliverOnTime())).toBe('20ms a 9ms (b|)', { a: at(A, 20), b: at(B, 30) });
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  test('events already due leave at once, in date order; equal dates keep packet order', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const x = plan(5, [at(B, 3), at(A, 0), at(C, 3)]); // due 8, 5, 8: all passed at 10
      expectObservable(hot('----------x', { x }).pipe(deliverOnTime())).toBe('----------(abc)', {
        a: at(A, 5),
        b: at(B, 8),
        c: at(C, 8),
      });
    });
    assert.deepEqual(
      dueEvents(plan(100, [at(B, 3), at(A, -1)])).map((e) => e.date),
      [99, 103],
    );
  });

  test('plans interleave: each event leaves at its own time', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const plans = { x: plan(10, [at(A, 0), at(B, 6)]), y: plan(12, [at(C, 1)]) };
      expectObservable(hot('--x-y', plans).pipe(deliverOnTime())).toBe('----------a--c--b', {
        a: at(A, 10),
        c: at(C, 13),
        b: at(B, 16),
      });
    });
  });

  test('empty: completes at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<DeliveryPlan>('|').pipe(deliverOnTime())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<DeliveryPlan>('-').pipe(deliverOnTime())).toBe('-');
    });
  });

  test('error: forwarded at once, pending events dropped', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const x = plan(10, [at(A, 0)]);
      expectObservable(hot('--x--#', { x }).pipe(deliverOnTime())).toBe('-----#');
    });
  });

  test('early unsubscribe: pending deliveries are cancelled and the source released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const x = plan(10, [at(A, 0), at(B, 8)]);
      const source = hot('--x----------', { x });
      expectObservable(source.pipe(deliverOnTime()), '^-------------!').toBe('----------a---', {
        a: at(A, 10),
      });
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  test('reentrancy: a plan sent in while delivering is delivered on its own time', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<DeliveryPlan>();
      const result = merge(hot('--x', { x: plan(5, [at(A, 0)]) }), feedback).pipe(
        deliverOnTime(),
        tap((e) => {
          if (e.date === 5 && 'pitch' in e && e.pitch === A.pitch)
            feedback.next(plan(5, [at(B, 0), at(C, 5)]));
        }),
      );
      expectObservable(result).toBe('-----(ab)-c', { a: at(A, 5), b: at(B, 5), c: at(C, 10) });
    });
  });
});
