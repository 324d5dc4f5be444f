/**
 * routePort255() in virtual time. The rule under test (SPEC §6, §7): port-255
 * events take the reliable path, all others the realtime path; both parts of
 * one group keep its date D.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { pathOf, routePort255 } from '../src/operators/route-port255.js';
import type { MidiEvent } from '../src/model/event.js';
import type { EventGroup, EventPath, RoutedGroup } from '../src/model/pipeline.js';
import { at, keyOn } from './fixtures.js';

const group = (date: number, ...events: MidiEvent[]): EventGroup => ({ kind: 'group', date, events });
const routed = (path: EventPath, date: number, ...events: MidiEvent[]): RoutedGroup => ({
  ...group(date, ...events),
  path,
});
const a = at(keyOn(60, { port: 0 }), 0);
const b = at(keyOn(61, { port: 1 }), 2);
const c = at(keyOn(62, { port: 254 }), 3);
const r = at(keyOn(70, { port: 255 }), 1);
const s = at(keyOn(71, { port: 255 }), 5);

describe('routePort255', () => {
  test('splits each group by path, realtime first, both parts dated D; a path with no event gets nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const groups = { x: group(14, a, r, b), y: group(23, c), z: group(29, s) };
      const source = hot('  ----x--------y-----z--|', groups);
      const expected = '    ----(XR)-----Y-----S--|';
      expectObservable(source.pipe(routePort255())).toBe(expected, {
        X: routed('realtime', 14, a, b),
        R: routed('reliable', 14, r),
        Y: routed('realtime', 23, c),
        S: routed('reliable', 29, s),
      });
      expectSubscriptions(source.subscriptions).toBe('^---------------------!');
    });
    assert.deepEqual([a, b, c, r].map(pathOf), ['realtime', 'realtime', 'realtime', 'reliable']);
  });

  test('routePort255(false), a peer with no reliable path: every group stays whole on the realtime path', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const groups = { x: group(14, a, r, b), y: group(23, c), z: group(29, s) };
      const source = hot('  ----x--------y-----z--|', groups);
      const expected = '    ----X--------Y-----Z--|';
      expectObservable(source.pipe(routePort255(false))).toBe(expected, {
        X: routed('realtime', 14, a, r, b),
        Y: routed('realtime', 23, c),
        Z: routed('realtime', 29, s),
      });
      expectSubscriptions(source.subscriptions).toBe('^---------------------!');
    });
  });

  test('routePort255(false): an empty group yields nothing, as with a reliable path', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('--x--|', { x: group(5) }).pipe(routePort255(false))).toBe('-----|');
    });
  });

  test('an empty group yields nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('--x--|', { x: group(5) }).pipe(routePort255())).toBe('-----|');
    });
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<EventGroup>('|').pipe(routePort255())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<EventGroup>('-').pipe(routePort255())).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('-x-#', { x: group(3, r) }).pipe(routePort255())).toBe('-R-#', {
        R: routed('reliable', 3, r),
      });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-x---y-|', { x: group(3, a), y: group(5, r) });
      expectObservable(source.pipe(routePort255()), '^--!').toBe('-X-', { X: routed('realtime', 3, a) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: a group sent back while the first part is delivered is routed in turn', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<EventGroup>();
      const result = merge(hot('-x-', { x: group(3, a, r) }), feedback).pipe(
        routePort255(),
        tap((g) => {
          if (g.date === 3 && g.path === 'realtime') feedback.next(group(4, s));
        }),
      );
      expectObservable(result).toBe('-(SXR)', {
        X: routed('realtime', 3, a),
        R: routed('reliable', 3, r),
        S: routed('reliable', 4, s),
      });
    });
  });
});
