/**
 * stuckNoteGuard(release$) in virtual time. The rule under test (SPEC §4
 * Order and loss): when a remote's stream has a gap, or the remote ends, every
 * note it started on local clients and did not end gets a keyOff.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { stuckNoteGuard } from '../src/operators/stuck-note-guard.js';
import type { MidiEvent } from '../src/model/event.js';
import { at, keyOff, keyOn, note } from './fixtures.js';

/** The keyOff the guard makes for a hanging note, dated at the release. */
const released = (pitch: number, date: number, chan = 0, port = 0): MidiEvent => ({
  type: 'keyOff',
  port,
  chan,
  pitch,
  vel: 64,
  date,
});

describe('stuckNoteGuard', () => {
  test('releases the notes still hanging at a release, once, and what still hangs when the events end', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const delivered = {
        a: at(keyOn(60), 2),
        b: at(keyOn(62), 5),
        c: at(keyOff(60), 8),
        e: at(keyOn(64), 17),
      };
      const source = hot('  --a--b--c--------e----|', delivered);
      const release = hot(' -----------r--r--------', { r: 'gap' });
      const expected = '    --a--b--c--x-----e----(y|)';
      expectObservable(source.pipe(stuckNoteGuard(release))).toBe(expected, {
        ...delivered,
        x: released(62, 11),
        y: released(64, 22),
      });
      expectSubscriptions(release.subscriptions).toBe('^---------------------!');
    });
  });

  test('tracks notes by port, channel and pitch; keyOn velocity 0 ends a note; note events end by themselves', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const delivered = {
        a: keyOn(60, { chan: 1 }),
        b: keyOn(60, { chan: 2, port: 3 }),
        d: keyOn(61),
        e: keyOn(61, { vel: 0 }),
        f: note(70),
        g: keyOff(60, { chan: 1 }),
      };
      const source = hot('  -abdefg----', delivered);
      const release = hot(' ---------r-', { r: 'gap' });
      expectObservable(source.pipe(stuckNoteGuard(release))).toBe('-abdefg--x-', {
        ...delivered,
        x: released(60, 9, 2, 3),
      });
    });
  });

  test('a release with several notes hanging ends them all at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const delivered = { a: keyOn(60), b: keyOn(64), c: keyOn(67) };
      const source = hot('  abc---', delivered);
      expectObservable(source.pipe(stuckNoteGuard(hot('----r-', { r: 'gap' })))).toBe('abc-(xyz)', {
        ...delivered,
        x: released(60, 4),
        y: released(64, 4),
        z: released(67, 4),
      });
    });
  });

  test('empty: completes with nothing to release, and release$ is let go', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const release = hot<string>('---r');
      expectObservable(cold<MidiEvent>('|').pipe(stuckNoteGuard(release))).toBe('|');
      expectSubscriptions(release.subscriptions).toBe('(^!)');
    });
  });

  test('never: emits nothing, even on releases', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, hot, expectObservable }) => {
      expectObservable(cold<MidiEvent>('-').pipe(stuckNoteGuard(hot('--r--', { r: 'gap' })))).toBe('-');
    });
  });

  test('error: from the events or from release$, forwarded, and nothing is released (the pipeline breaks)', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const a = keyOn(60);
      expectObservable(hot('-a-#', { a }).pipe(stuckNoteGuard(hot<string>('------')))).toBe('-a-#', { a });
      expectObservable(hot('-a----', { a }).pipe(stuckNoteGuard(hot<string>('---#')))).toBe('-a-#', { a });
    });
  });

  test('early unsubscribe: the events and release$ are let go, with no keyOff (nobody listens)', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = keyOn(60);
      const source = hot('-a------', { a });
      const release = hot('------r-', { r: 'gap' });
      expectObservable(source.pipe(stuckNoteGuard(release)), '^---!').toBe('-a--', { a });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(release.subscriptions).toBe('^---!');
    });
  });

  test('reentrancy: a release triggered by a delivered event sees that event', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const release = new Subject<string>();
      const a = keyOn(60);
      const result = hot('-a--', { a }).pipe(
        stuckNoteGuard(release),
        tap((event) => {
          if (event.type === 'keyOn') release.next('gap');
        }),
      );
      // tap passes a on after the release it caused, so the keyOff comes first.
      expectObservable(result).toBe('-(xa)', { a, x: released(60, 1) });
    });
  });
});
