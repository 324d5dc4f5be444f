/**
 * stuckNoteGuard(release$) in virtual time. The rule under test (SPEC §4
 * Order and loss): when a remote disappears or its stream has a gap, every
 * note it started on local clients and did not end gets a keyOff.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { stuckNoteGuard } from '../src/operators/stuck-note-guard.js';
import type { MidiEvent } from '../src/model/event.js';
import type { RemoteEvent } from '../src/model/pipeline.js';
import { at, keyOff, keyOn, note } from './fixtures.js';

const from = (remote: string, event: MidiEvent): RemoteEvent => ({ remote, event });
/** The keyOff the guard makes for a hanging note, dated at the release. */
const released = (remote: string, pitch: number, date: number, chan = 0, port = 0): RemoteEvent =>
  from(remote, { type: 'keyOff', port, chan, pitch, vel: 64, date });

describe('stuckNoteGuard', () => {
  test('releases the notes still hanging from a remote, and only once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const delivered = {
        a: from('A', at(keyOn(60), 2)),
        b: from('A', at(keyOn(62), 5)),
        c: from('A', at(keyOff(60), 8)),
        e: from('B', at(keyOn(64), 17)),
      };
      const source = hot('  --a--b--c--------e-----|', delivered);
      const release = hot(' -----------A--------A---', { A: 'A' });
      const expected = '    --a--b--c--x-----e-----|';
      expectObservable(source.pipe(stuckNoteGuard(release))).toBe(expected, {
        ...delivered,
        x: released('A', 62, 11),
      });
      expectSubscriptions(release.subscriptions).toBe('^----------------------!');
    });
  });

  test('tracks notes per remote, port, channel and pitch; keyOn velocity 0 ends a note; note events end by themselves', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const delivered = {
        a: from('A', keyOn(60, { chan: 1 })),
        b: from('A', keyOn(60, { chan: 2, port: 3 })),
        c: from('B', keyOn(60, { chan: 1 })),
        d: from('A', keyOn(61)),
        e: from('A', keyOn(61, { vel: 0 })),
        f: from('A', note(70)),
        g: from('A', keyOff(60, { chan: 1 })),
      };
      const source = hot('  -abcdefg----', delivered);
      const release = hot(' ---------A-B', { A: 'A', B: 'B' });
      expectObservable(source.pipe(stuckNoteGuard(release))).toBe('-abcdefg-x-y', {
        ...delivered,
        x: released('A', 60, 9, 2, 3),
        y: released('B', 60, 11, 1),
      });
    });
  });

  test('a release with several notes hanging ends them all at once', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const delivered = { a: from('A', keyOn(60)), b: from('A', keyOn(64)), c: from('A', keyOn(67)) };
      const source = hot('  abc---', delivered);
      expectObservable(source.pipe(stuckNoteGuard(hot('----A-', { A: 'A' })))).toBe('abc-(xyz)', {
        ...delivered,
        x: released('A', 60, 4),
        y: released('A', 64, 4),
        z: released('A', 67, 4),
      });
    });
  });

  test('empty: completes, and release$ is let go', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const release = hot<string>('---A');
      expectObservable(cold<RemoteEvent>('|').pipe(stuckNoteGuard(release))).toBe('|');
      expectSubscriptions(release.subscriptions).toBe('(^!)');
    });
  });

  test('never: emits nothing, even on releases', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, hot, expectObservable }) => {
      expectObservable(cold<RemoteEvent>('-').pipe(stuckNoteGuard(hot('--A--', { A: 'A' })))).toBe('-');
    });
  });

  test('error: from the events or from release$, forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const a = from('A', keyOn(60));
      expectObservable(hot('-a-#', { a }).pipe(stuckNoteGuard(hot<string>('------')))).toBe('-a-#', { a });
      expectObservable(hot('-a----', { a }).pipe(stuckNoteGuard(hot<string>('---#')))).toBe('-a-#', { a });
    });
  });

  test('early unsubscribe: the events and release$ are let go', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = from('A', keyOn(60));
      const source = hot('-a------', { a });
      const release = hot('------A-', { A: 'A' });
      expectObservable(source.pipe(stuckNoteGuard(release)), '^---!').toBe('-a--', { a });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(release.subscriptions).toBe('^---!');
    });
  });

  test('reentrancy: a release triggered by a delivered event sees that event', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const release = new Subject<string>();
      const a = from('A', keyOn(60));
      const result = hot('-a--', { a }).pipe(
        stuckNoteGuard(release),
        tap((d) => {
          if (d.event.type === 'keyOn') release.next('A');
        }),
      );
      // tap passes a on after the release it caused, so the keyOff comes first.
      expectObservable(result).toBe('-(xa)', { a, x: released('A', 60, 1) });
    });
  });
});
