/**
 * expandNotes(scheduler) in virtual time: a note plays as its key on at once
 * and its key off `dur` ms later; what is still due when the output closes is
 * played at once; the rxjs checklist.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { Subject } from 'rxjs';
import { expandNotes } from '../src/sinks/expand-notes.js';
import type { MidiEvent } from '../src/model/event.js';
import { at, keyOff, keyOn, note } from './fixtures.js';

const scheduler = () => new TestScheduler(assert.deepStrictEqual);
const RELEASE = 64;

describe('expandNotes', () => {
  test('the picture: a note is its key on now and its key off dur ms later; other events pass at once', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-n------e---|', { n: at(note(60, { dur: 5 }), 1), e: at(keyOn(62), 8) });
      expectObservable(source.pipe(expandNotes(s))).toBe('-a----b-e---|', {
        a: at(keyOn(60), 1),
        b: at(keyOff(60, { vel: RELEASE }), 6),
        e: at(keyOn(62), 8),
      });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  test('the output closes before the key off is due: it is played at once, then the output completes', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const source = hot('-n--|', { n: at(note(60, { dur: 500 }), 1) });
      expectObservable(source.pipe(expandNotes(s))).toBe('-a--(b|)', {
        a: at(keyOn(60), 1),
        b: at(keyOff(60, { vel: RELEASE }), 4),
      });
    });
  });

  test('an error flushes the due key offs, then passes on', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const source = hot('-n-#', { n: at(note(60, { dur: 9 }), 1) }, new Error('gone'));
      expectObservable(source.pipe(expandNotes(s))).toBe(
        '-a-(b#)',
        { a: at(keyOn(60), 1), b: at(keyOff(60, { vel: RELEASE }), 3) },
        new Error('gone'),
      );
    });
  });

  test('overlapping notes each end on time; a note without a date plays now', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const source = hot('-m-n-------|', { m: at(note(60, { dur: 6 }), 1), n: note(64, { dur: 2 }) });
      expectObservable(source.pipe(expandNotes(s))).toBe('-a-b-c-d---|', {
        a: at(keyOn(60), 1),
        b: at(keyOn(64), 3),
        c: at(keyOff(64, { vel: RELEASE }), 5),
        d: at(keyOff(60, { vel: RELEASE }), 7),
      });
    });
  });

  test('empty, never, and an immediate error pass through', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('|').pipe(expandNotes(s))).toBe('|');
      expectObservable(cold<MidiEvent>('-').pipe(expandNotes(s))).toBe('-');
      expectObservable(cold<MidiEvent>('#').pipe(expandNotes(s))).toBe('#');
    });
  });

  test('unsubscribing cancels the due key offs and the source', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-n------', { n: at(note(60, { dur: 5 }), 1) });
      expectObservable(source.pipe(expandNotes(s)), '^--!').toBe('-a--', { a: at(keyOn(60), 1) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: a subscriber that feeds the source from inside next sees its events in order', () => {
    const s = scheduler();
    s.run(({ flush }) => {
      const input = new Subject<MidiEvent>();
      const seen: MidiEvent[] = [];
      input.pipe(expandNotes(s)).subscribe((event) => {
        seen.push(event);
        if (event.type === 'keyOn' && event.pitch === 60) input.next(at(keyOn(61), 0));
      });
      input.next(at(note(60, { dur: 3 }), 0));
      flush();
      assert.deepEqual(
        seen.map((e) => [e.type, 'pitch' in e ? e.pitch : -1, e.date]),
        [
          ['keyOn', 60, 0],
          ['keyOn', 61, 0],
          ['keyOff', 60, 3],
        ],
      );
    });
  });
});
