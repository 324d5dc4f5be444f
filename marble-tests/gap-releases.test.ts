/**
 * gapReleases(leadMs) in virtual time. The rule under test (SPEC §4 Order and
 * loss): a plan that follows lost packets releases the notes left hanging,
 * `leadMs` before its first event is due, so notes still on their way sound
 * first and the hanging ones end before the new ones begin.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { DeliveryPlan } from '../src/model/pipeline.js';
import { gapReleases } from '../src/operators/gap-releases.js';
import { RELEASE_LEAD_MS } from '../src/operators/receive-path.js';
import { at, keyOn, plan } from './fixtures.js';

const LEAD = 0.5;
const a = keyOn(60);
const b = keyOn(62);
/** A plan after lost packets. */
const afterGap = (atTime: number, ...rels: number[]) =>
  plan(
    atTime,
    rels.map((rel) => at(a, rel)),
    { releasesNotes: true },
  );

describe('gapReleases', () => {
  test('a plan after a gap releases 0.5 ms before its first event is due; the output ends once it has', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const plans = { p: plan(12, [at(a, 0)]), q: afterGap(14.5, 0) };
      const source = hot('  --p--q----|', plans);
      const expected = '    --------------(r|)';
      expectObservable(source.pipe(gapReleases(LEAD, scheduler))).toBe(expected, { r: 14 });
      expectSubscriptions(source.subscriptions).toBe('^---------!');
    });
    assert.equal(RELEASE_LEAD_MS, LEAD, 'the lead the receive path uses');
  });

  test("to the sub-ms, before the plan's earliest event, whichever is listed first", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // Events due at 11 and 9.75: released at 9.25.
      const source = hot('  --q--', { q: afterGap(8, 3, 1.75) });
      expectObservable(source.pipe(gapReleases(LEAD, scheduler))).toBe('9.25ms r', { r: 9.25 });
    });
  });

  test('a release whose time has passed comes at once', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // q's first event was due at 3 (a late packet), s's at 8.25 (released at 7.75): both come as they arrive.
      const source = hot('  -----q--s--', { q: afterGap(3, 0), s: afterGap(5.25, 3) });
      expectObservable(source.pipe(gapReleases(LEAD, scheduler))).toBe('-----r--s--', { r: 5, s: 8 });
    });
  });

  test('each plan after a gap has its own release; plans on time have none', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const plans = { p: plan(5, [at(b, 0)]), q: afterGap(10.5, 0), s: afterGap(12.5, 0) };
      const source = hot('  -p-q-s-|', plans);
      expectObservable(source.pipe(gapReleases(LEAD, scheduler))).toBe('----------q-(s|)', { q: 10, s: 12 });
    });
  });

  test('empty: completes', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<DeliveryPlan>('|').pipe(gapReleases(LEAD, scheduler))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<DeliveryPlan>('-').pipe(gapReleases(LEAD, scheduler))).toBe('-');
    });
  });

  test('error: forwarded at once, pending releases dropped', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -q--#', { q: afterGap(10.5, 0) });
      expectObservable(source.pipe(gapReleases(LEAD, scheduler))).toBe('----#');
    });
  });

  test('early unsubscribe: pending releases are cancelled and the source released', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -q--s-----|', { q: afterGap(5.5, 0), s: afterGap(20.5, 0) });
      const unsub = '       ^ 9ms !';
      expectObservable(source.pipe(gapReleases(LEAD, scheduler)), unsub).toBe('-----q', { q: 5 });
      expectSubscriptions(source.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: a plan sent in on a release gets its own release', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<DeliveryPlan>();
      const result = merge(hot('  -q-', { q: afterGap(5.5, 0) }), feedback).pipe(
        gapReleases(LEAD, scheduler),
        tap((time) => {
          if (time === 5) feedback.next(afterGap(8.5, 0));
        }),
      );
      expectObservable(result).toBe('-----q--s', { q: 5, s: 8 });
    });
  });
});
