/**
 * mapChannel(mapping) in virtual time: channel messages move to the mapped
 * channel or are dropped; events without a channel pass as they are.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mapChannel } from '../src/operators/map-channel.js';
import type { MidiEvent } from '../src/model/event.js';
import { keyOn } from './fixtures.js';

const program = (chan: number): MidiEvent => ({ type: 'progChange', port: 0, chan, value: 5 });
const clock: MidiEvent = { type: 'clock', port: 0, chan: 0 };
const sysEx: MidiEvent = { type: 'sysEx', port: 0, chan: 2, data: [1, 2] };

describe('mapChannel', () => {
  test('a table: 0 → 9, 2 dropped, others unchanged; clock and SysEx pass', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const events = {
        a: keyOn(60, { chan: 0 }),
        b: keyOn(60, { chan: 1 }),
        c: program(2),
        d: clock,
        s: sysEx,
      };
      const source = hot('  --a--b--c--d--s--|', events);
      const expected = '    --A--b-----d--s--|';
      expectObservable(source.pipe(mapChannel({ 0: 9, 2: null }))).toBe(expected, {
        A: keyOn(60, { chan: 9 }),
        b: events.b,
        d: clock,
        s: sysEx,
      });
      expectSubscriptions(source.subscriptions).toBe('^----------------!');
    });
  });

  test('a function of channel and event; a result that is no channel drops the event', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const events = { a: keyOn(60, { chan: 3 }), b: program(3), c: keyOn(60, { chan: 15 }) };
      const drumsForNotes = (chan: number, e: MidiEvent) => (e.type === 'keyOn' ? chan + 1 : chan);
      expectObservable(hot('-a-b-c-|', events).pipe(mapChannel(drumsForNotes))).toBe('-A-b---|', {
        A: keyOn(60, { chan: 4 }),
        b: program(3),
      });
    });
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('|').pipe(mapChannel({}))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('-').pipe(mapChannel({}))).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-#', { a: program(0) }).pipe(mapChannel({ 0: 1 }))).toBe('-A-#', {
        A: program(1),
      });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b-|', { a: program(0), b: program(1) });
      expectObservable(source.pipe(mapChannel({ 0: 1 })), '^--!').toBe('-A-', { A: program(1) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: an event sent back from a subscriber is mapped in turn', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<MidiEvent>();
      const result = merge(hot('-a-', { a: program(0) }), feedback).pipe(
        mapChannel({ 0: 1, 1: 2 }),
        tap((e) => {
          if (e.chan === 1) feedback.next(program(1));
        }),
      );
      expectObservable(result).toBe('-(BA)', { A: program(1), B: program(2) });
    });
  });
});
