/**
 * groupEvents(G) in virtual time: one frame is 1 ms. The rule under test
 * (SPEC §4 Grouping): the first event at t0 opens a period; at t0+G all
 * collected events leave as one group stamped D, each dated relative to D − G;
 * periods run back to back while events come; an empty period ends the run.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { groupEvents, relativeDate } from '../src/operators/group-events.js';
import type { MidiEvent } from '../src/model/event.js';
import type { EventGroup } from '../src/model/pipeline.js';
import { at, keyOn } from './fixtures.js';

const G = 10;
const a = keyOn(60);
const b = keyOn(62);
const c = keyOn(64);
const d = keyOn(65);
const group = (date: number, ...events: MidiEvent[]): EventGroup => ({ kind: 'group', date, events });

describe('groupEvents', () => {
  test('G=10: events at 3 and 7 leave at 13 with rel dates 0 and 4; an empty period goes idle', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ---a---b-------c------------------------d----|', { a, b, c, d });
      const subs = '        ^--------------------------------------------!';
      const expected = '    -------------x---------y---------------------(z|)';
      //                       [3 ....... 13)[13 ... 23)[23 .. 33) empty    [40 .. 45 complete
      expectObservable(source.pipe(groupEvents(G, scheduler))).toBe(expected, {
        x: group(13, at(a, 0), at(b, 4)),
        y: group(23, at(c, 2)),
        z: group(45, at(d, 5)),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  test('while events keep coming, a group leaves every G ms, back to back', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('  --a-----------b----------c-------d----------------', { a, b, c, d });
      const expected = '    ------------w---------x---------y---------z---------';
      //                      [2   12)[12    22)[22    32)[32     42)[42   52) empty
      expectObservable(source.pipe(groupEvents(G, scheduler))).toBe(expected, {
        w: group(12, at(a, 0)),
        x: group(22, at(b, 2)),
        y: group(32, at(c, 3)),
        z: group(42, at(d, 1)),
      });
    });
  });

  test("an event's own date is used when it has one, relative to D − G and clamped to i16", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('  ----p-q-r', { p: at(a, 1), q: at(b, 100_000), r: at(c, -100_000) });
      const expected = '    --------------x';
      expectObservable(source.pipe(groupEvents(G, scheduler))).toBe(expected, {
        x: group(14, at(a, -3), at(b, 32767), at(c, -32768)),
      });
    });
    assert.equal(relativeDate(13.5, 20.4, 10), 3.5, 'to the whole ms of D − G, keeping its own fraction');
    assert.equal(relativeDate(13.5, 20.6, 10), 2.5, 'D rounds up to 21: 13.5 − 11');
  });

  test('empty source: completes, emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('|').pipe(groupEvents(G, scheduler))).toBe('|');
    });
  });

  test('never source: no group and no timer (an idle grouping emits nothing)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('-').pipe(groupEvents(G, scheduler))).toBe('-');
    });
  });

  test('error: forwarded at once, what was collected is dropped', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ---a--#', { a });
      const subs = '        ^-----!';
      expectObservable(source.pipe(groupEvents(G, scheduler))).toBe('------#');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  test('early unsubscribe: the open period is cancelled and nothing leaves', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ---a---b-------c---', { a, b, c });
      const unsub = '       ^----------!';
      const subs = '        ^----------!';
      expectObservable(source.pipe(groupEvents(G, scheduler)), unsub).toBe('-');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  test('unsubscribing from inside next releases the source and the next period', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ---a-----------b-----', { a, b });
      const seen = new Subject<EventGroup>();
      const subscription = source.pipe(groupEvents(G, scheduler)).subscribe((g) => {
        seen.next(g);
        subscription.unsubscribe();
      });
      expectObservable(seen).toBe('-------------x', { x: group(13, at(a, 0)) });
      expectSubscriptions(source.subscriptions).toBe('^------------!');
    });
  });

  test('reentrancy: an event sent back from a subscriber opens the next period', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<MidiEvent>();
      const source = hot('  ---a------', { a });
      const echoed = keyOn(72);
      const result = merge(source, feedback).pipe(
        groupEvents(G, scheduler),
        tap((g) => {
          if (g.date === 13) feedback.next(echoed);
        }),
      );
      //                    a at 3 -> x at 13, whose subscriber sends e at 13 -> y at 23 (rel 0)
      expectObservable(result).toBe('-------------x---------y', {
        x: group(13, at(a, 0)),
        y: group(23, at(echoed, 0)),
      });
    });
  });
});
