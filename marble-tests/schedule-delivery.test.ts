/**
 * scheduleDelivery(maxLat, late) in virtual time: the receiver's timing rule of
 * SPEC §4 end to end. lat = 10: a packet dated 13 arriving at 13 delivers its
 * first event at 23; a packet 3 ms slower than usual still delivers at the same
 * dates (jitter removed); one 15 ms late delivers at once.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { scheduleDelivery } from '../src/operators/schedule-delivery.js';
import type { InboundPacket } from '../src/model/pipeline.js';
import type { MidiEvent } from '../src/model/event.js';
import { at, keyOff, keyOn } from './fixtures.js';

const MAX_LAT = 10;
const inbound = (date: number, arrival: number, events: MidiEvent[], offset = 0): InboundPacket => ({
  date,
  arrival,
  offset,
  afterGap: false,
  events,
});
const on = keyOn(60);
const off = keyOff(60);
const other = keyOn(67);

describe('scheduleDelivery', () => {
  test('lat=10: dated 13 arriving at 13 delivers at 23 and 27; jitter removed; 15 ms late at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, time }) => {
      const maxLat = time('      ----------|');
      const packets = {
        p: inbound(13, 13, [at(on, 0), at(off, 4)]), //   cur 0:  23 + rel
        q: inbound(23, 26, [at(other, 0)]), //            cur 3:  still 33 = 23 + 10
        r: inbound(40, 55, [at(on, 0), at(off, 2)]), //   cur 15 > 10: at once, 55 and 57
      };
      const source = hot('      -------------p------------q----------------------------r--|', packets);
      const expected = '        -----------------------a---b-----c---------------------d-e|';
      expectObservable(source.pipe(scheduleDelivery(maxLat, 'play'))).toBe(expected, {
        a: at(on, 23),
        b: at(off, 27),
        c: at(other, 33),
        d: at(on, 55),
        e: at(off, 57),
      });
    });
  });

  test("late = 'drop': the late packet delivers nothing, the others are untouched", () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const packets = { p: inbound(13, 13, [at(on, 0)]), r: inbound(20, 35, [at(other, 0)]) };
      const source = hot('  -------------p---------------------r--|', packets);
      expectObservable(source.pipe(scheduleDelivery(MAX_LAT, 'drop'))).toBe(
        '-----------------------a--------------|',
        {
          a: at(on, 23),
        },
      );
    });
  });

  test('a remote clock 1000 ms ahead with 2 ms usual transit: delivered at P + offset + maxLat', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      // Our clock reads 998 ms less than the remote's, transit included: offset = −998.
      const source = hot('  -----p', { p: inbound(1003, 5, [at(on, 0)], -998) });
      expectObservable(source.pipe(scheduleDelivery(MAX_LAT))).toBe('---------------a', { a: at(on, 15) });
    });
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<InboundPacket>('|').pipe(scheduleDelivery(MAX_LAT))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<InboundPacket>('-').pipe(scheduleDelivery(MAX_LAT))).toBe('-');
    });
  });

  test('error: forwarded at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const source = hot('--p-#', { p: inbound(2, 2, [at(on, 0)]) });
      expectObservable(source.pipe(scheduleDelivery(MAX_LAT))).toBe('----#');
    });
  });

  test('early unsubscribe: nothing is delivered after it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--p-----', { p: inbound(2, 2, [at(on, 0), at(off, 5)]) });
      expectObservable(source.pipe(scheduleDelivery(MAX_LAT)), '^-------------!').toBe('------------a--', {
        a: at(on, 12),
      });
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  test('reentrancy: a packet sent in at delivery time is planned from its own arrival', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<InboundPacket>();
      const result = merge(hot('--p', { p: inbound(2, 2, [at(on, 0)]) }), feedback).pipe(
        scheduleDelivery(MAX_LAT),
        tap((e) => {
          if (e.type === 'keyOn' && e.date === 12) feedback.next(inbound(12, 12, [at(off, 0)]));
        }),
      );
      expectObservable(result).toBe('------------a---------b', { a: at(on, 12), b: at(off, 22) });
    });
  });
});
