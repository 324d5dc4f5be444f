/**
 * transpose(semitones) in virtual time: pitched events move, others pass, and
 * a pitch pushed out of 0–127 drops the event (keyOn and keyOff alike).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { transpose } from '../src/operators/transpose.js';
import type { ControlEvent, MidiEvent } from '../src/model/event.js';
import { keyOff, keyOn, note } from './fixtures.js';

const volume: ControlEvent = { type: 'ctrlChange', port: 0, chan: 0, ctrl: 7, value: 100 };

describe('transpose', () => {
  test('+12: keyOn 60 becomes 72, a control passes, keyOn 120 is dropped, keyOff 60 becomes 72', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const events = { a: keyOn(60), b: volume, c: keyOn(120), d: keyOff(60) };
      const source = hot('  --a--b--c--d--|', events);
      const expected = '    --A--b-----D--|';
      expectObservable(source.pipe(transpose(12))).toBe(expected, { A: keyOn(72), b: volume, D: keyOff(72) });
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  test('every pitched type moves; the range ends are kept, one beyond is dropped', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const press: MidiEvent = { type: 'keyPress', port: 0, chan: 0, pitch: 10, vel: 50 };
      const down = { n: note(5), p: press, l: keyOn(4), h: keyOff(127) };
      expectObservable(hot('-n-p-l-h-|', down).pipe(transpose(-5))).toBe('-N-P---H-|', {
        N: note(0),
        P: { ...press, pitch: 5 },
        H: keyOff(122),
      });
      const up = { a: keyOn(122), b: keyOn(123) };
      expectObservable(hot('-a-b-|', up).pipe(transpose(5))).toBe('-A---|', { A: keyOn(127) });
    });
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('|').pipe(transpose(1))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('-').pipe(transpose(1))).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-#', { a: keyOn(60) }).pipe(transpose(1))).toBe('-A-#', { A: keyOn(61) });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b-|', { a: keyOn(60), b: keyOn(62) });
      expectObservable(source.pipe(transpose(1)), '^--!').toBe('-A-', { A: keyOn(61) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: an event sent back from a subscriber is transposed in turn', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<MidiEvent>();
      const result = merge(hot('-a-', { a: keyOn(60) }), feedback).pipe(
        transpose(1),
        tap((e) => {
          if (e.type === 'keyOn' && e.pitch === 61) feedback.next(keyOff(60));
        }),
      );
      expectObservable(result).toBe('-(BA)', { A: keyOn(61), B: keyOff(61) });
    });
  });
});
