/**
 * clockReference() in virtual time (one frame per HostID; the filter counts
 * samples, not milliseconds). The rules under test (SPEC §4 Latency, §6): the
 * offset is a robust mean of recent R − P values that follows drift; the
 * reference locks after a full window (10 samples, the original's 1 s of
 * HostIDs), or after the 6 of the wake-up burst when they agree within 2 ms.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, from, lastValueFrom, map, merge, tap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  clockFilterFor,
  clockReference,
  clockStep,
  initialClockState,
  type ClockFilterParams,
} from '../src/operators/clock-reference.js';
import type { ClockReference, ClockSample } from '../src/model/pipeline.js';

/** A sample whose R − P is `transit` (the remote clock at 1000 when ours reads 1000 + transit). */
const sample = (transit: number, remote = 1000): ClockSample => ({ remote, local: remote + transit });

const LAN = clockFilterFor(10);

/** The references a list of R − P values leads to. */
function referencesFor(transits: number[], params: ClockFilterParams = LAN): Promise<ClockReference[]> {
  return lastValueFrom(
    from(transits.map((t, i) => sample(t, 1000 + 100 * i))).pipe(clockReference(params), toArray()),
  );
}

describe('clockReference', () => {
  test('locks at the 6th sample of the wake-up burst when the samples agree within 2 ms', () => {
    const burst = {
      a: sample(500),
      b: sample(501),
      c: sample(500),
      d: sample(502),
      e: sample(500),
      f: sample(501),
    };
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const source = hot('  -a-b-c-d-e-f-|', burst);
      const expected = '    -x-x-x-x-x-L-|';
      expectObservable(
        source.pipe(
          clockReference(LAN),
          map((r) => r.locked),
        ),
      ).toBe(expected, { x: false, L: true });
    });
  });

  test('jittery samples lock only with a full window of 10, like the original', async () => {
    const jittery = [500, 506, 501, 509, 500, 504, 503, 500, 507, 502, 501];
    const locks = (await referencesFor(jittery)).map((r) => r.locked);
    assert.equal(locks.indexOf(true), 9, '10th sample');
  });

  test('the offset is a robust mean: a late packet in the window does not move it', async () => {
    const transits = [500, 500, 500, 500, 500, 900, 500, 500, 500, 500, 500];
    const refs = await referencesFor(transits);
    assert.deepEqual(
      refs.map((r) => r.offset),
      transits.map(() => 500),
    );
  });

  test('the offset follows clock drift', async () => {
    // The remote clock runs 1 ms slow per 10 samples: R − P grows by 0.1 per sample.
    const drifting = Array.from({ length: 200 }, (_, i) => 500 + i / 10);
    const last = (await referencesFor(drifting)).at(-1);
    const latest = drifting.at(-1) ?? NaN;
    assert.ok(
      last !== undefined && Math.abs(last.offset - latest) < 1,
      `offset ${last?.offset} vs ${latest}`,
    );
  });

  test('a single wild sample is left out; three agreeing ones mean the remote clock jumped', async () => {
    const refs = await referencesFor([500, 501, 500, 501, 500, 501, 40_500, 500, 40_501, 40_500, 40_502]);
    const [beforeOutlier, afterOutlier] = [refs[5], refs[6]];
    assert.equal(afterOutlier?.offset, beforeOutlier?.offset, 'the outlier does not move the offset');
    const last = refs.at(-1);
    assert.equal(last?.restarts, 1);
    assert.ok(last !== undefined && Math.abs(last.offset - 40_501) <= 1, `restarted offset ${last?.offset}`);
    assert.equal(last?.locked, true, 'a remote stays open across a clock jump');
  });

  test('WAN settings: a 50-sample window, lock at 21 samples, or at 6 agreeing within maxLat/50', async () => {
    const wan = clockFilterFor(1500);
    const jittery = [
      500, 560, 510, 590, 505, 540, 515, 585, 500, 525, 510, 540, 570, 505, 530, 515, 535, 500, 525, 510, 520,
    ];
    const wide = (await referencesFor(jittery, wan)).map((r) => r.locked);
    assert.equal(wide.indexOf(true), 20, '21st sample');
    const close = (await referencesFor([500, 520, 510, 525, 505, 515], wan)).map((r) => r.locked);
    assert.equal(close.indexOf(true), 5, '6th sample: they agree within 30 ms');
  });

  test('the pure step is a fold: the same samples give the same state', () => {
    const samples = [sample(500), sample(503), sample(501)];
    const fold = () => samples.reduce((state, s) => clockStep(state, s, LAN), initialClockState);
    assert.deepEqual(fold(), fold());
    assert.equal(fold().window.length, 3);
    assert.ok(Number.isNaN(initialClockState.offset), 'no offset before the first sample');
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<ClockSample>('|').pipe(clockReference())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<ClockSample>('-').pipe(clockReference())).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const source = hot('-a-#', { a: sample(500) });
      expectObservable(
        source.pipe(
          clockReference(),
          map((r) => r.offset),
        ),
      ).toBe('-o-#', { o: 500 });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-|', { a: sample(500), b: sample(500), c: sample(500) });
      expectObservable(
        source.pipe(
          clockReference(),
          map((r) => r.samples),
        ),
        '^--!',
      ).toBe('-1-', { 1: 1 });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: a sample sent back from a subscriber is folded after the one that caused it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<ClockSample>();
      const result = merge(hot('-a-', { a: sample(500) }), feedback).pipe(
        clockReference(),
        tap((r) => {
          if (r.samples === 1) feedback.next(sample(502));
        }),
        map((r) => r.samples),
      );
      // tap passes the first reference on after the echo's, so 2 arrives before 1.
      expectObservable(result).toBe('-(21)', { 1: 1, 2: 2 });
    });
  });
});
