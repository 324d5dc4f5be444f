/**
 * remoteStats(MAX_LAT) in virtual time. The rule under test (SPEC §4.4): per remote,
 * the offset, current and max transit deviation, late, missing and duplicate
 * counts, events and packets in and out.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, map, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { initialRemoteStats, remoteStats, statsStep } from '../src/operators/remote-stats.js';
import type {
  ClockReference,
  DeliveryPlan,
  RemoteStats,
  SerialVerdict,
  StatsInput,
} from '../src/model/pipeline.js';
import { keyOn } from './fixtures.js';

const clock = (offset: number): ClockReference => ({
  kind: 'clock',
  offset,
  locked: true,
  samples: 6,
  spread: 1,
  restarts: 0,
});
const serial = (verdict: SerialVerdict['verdict'], missing = 0, restarted = false): SerialVerdict => ({
  kind: 'serial',
  packet: { serial: 1, date: 10 },
  verdict,
  afterGap: missing > 0,
  missing,
  restarted,
});
const plan = (transit: number, events: number, late = false, continuation = false): DeliveryPlan => ({
  kind: 'plan',
  at: 0,
  transit,
  late,
  continuation,
  releasesNotes: false,
  events: Array.from({ length: events }, (_, i) => keyOn(60 + i)),
});
const MAX_LAT = 10;
const stats = (changes: Partial<RemoteStats>): RemoteStats => ({
  ...initialRemoteStats(MAX_LAT),
  ...changes,
});
/** The histogram after packets that came these many ms later than usual (buckets of 0.5 ms at -lat 10). */
const deviation = (...transits: number[]) => {
  const counts = new Array<number>(40).fill(0);
  for (const t of transits) counts[Math.min(39, Math.max(0, Math.floor(t / 0.5)))]! += 1;
  return { bucketMs: 0.5, counts };
};

describe('remoteStats', () => {
  test('folds clock, serial, plan and sent reports into the statistics of SPEC §4.4', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const reports = {
        c: clock(500),
        k: serial('keep'),
        d: serial('duplicate'),
        g: serial('keep', 2),
        p: plan(3, 2),
        P: plan(15, 1, true),
        o: { kind: 'sent', packets: 1, events: 4 } as const,
      };
      const source = hot('  --c--k--d--g--p--P--o--|', reports);
      const expected = '    --1--2--3--4--5--6--7--|';
      const base = { offset: 500 };
      const afterSerials = { ...base, packetsIn: 3, duplicates: 1, missing: 2 };
      const afterPlans = { ...afterSerials, transit: 15, maxTransit: 15, late: 1, eventsIn: 3 };
      expectObservable(source.pipe(remoteStats(MAX_LAT))).toBe(expected, {
        1: stats(base),
        2: stats({ ...base, packetsIn: 1 }),
        3: stats({ ...base, packetsIn: 2, duplicates: 1 }),
        4: stats(afterSerials),
        5: stats({ ...afterSerials, transit: 3, maxTransit: 3, eventsIn: 2, deviation: deviation(3) }),
        6: stats({ ...afterPlans, deviation: deviation(3, 15) }),
        7: stats({ ...afterPlans, deviation: deviation(3, 15), packetsOut: 1, eventsOut: 4 }),
      });
      expectSubscriptions(source.subscriptions).toBe('^----------------------!');
    });
  });

  test('a continuation counts its events but not transit or lateness; a stale packet is a duplicate; restarts count', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const reports = {
        p: plan(12, 1, true),
        c: plan(0, 3, true, true),
        s: serial('stale'),
        r: { kind: 'restart' } as const,
      };
      const late = { transit: 12, maxTransit: 12, late: 1, deviation: deviation(12) };
      expectObservable(hot('-p-c-s-r-|', reports).pipe(remoteStats(MAX_LAT))).toBe('-1-2-3-4-|', {
        1: stats({ ...late, eventsIn: 1 }),
        2: stats({ ...late, eventsIn: 4 }),
        3: stats({ ...late, eventsIn: 4, packetsIn: 1, duplicates: 1 }),
        4: stats({ ...late, eventsIn: 4, packetsIn: 1, duplicates: 1, restarts: 1 }),
      });
    });
  });

  test('the deviation histogram: buckets of maxLat / 20; early packets in the first, very late ones in the last', () => {
    const wan = [50, 1600, -3, 99_999].reduce(
      (acc, transit) => statsStep(acc, plan(transit, 1)),
      initialRemoteStats(1500),
    );
    assert.equal(wan.deviation.bucketMs, 75);
    assert.equal(wan.deviation.counts.length, 40);
    assert.deepEqual(
      wan.deviation.counts.flatMap((n, bucket) => (n > 0 ? [[bucket, n]] : [])),
      [
        [0, 2], // 50 and −3
        [21, 1], // 1600 / 75 = 21.3
        [39, 1], // beyond 2 × maxLat
      ],
    );
  });

  test('early packets (negative transit) show as the current transit but never raise the max', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('-p-', { p: plan(-2, 1) }).pipe(remoteStats(MAX_LAT))).toBe('-1-', {
        1: stats({ transit: -2, maxTransit: 0, eventsIn: 1, deviation: deviation(-2) }),
      });
    });
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<StatsInput>('|').pipe(remoteStats(MAX_LAT))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<StatsInput>('-').pipe(remoteStats(MAX_LAT))).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('-c-#', { c: clock(7) }).pipe(remoteStats(MAX_LAT))).toBe('-1-#', {
        1: stats({ offset: 7 }),
      });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-c--c-|', { c: clock(7) });
      expectObservable(source.pipe(remoteStats(MAX_LAT)), '^--!').toBe('-1-', { 1: stats({ offset: 7 }) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: a report sent back from a subscriber is counted after the one before it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<StatsInput>();
      const result = merge(hot('-k-', { k: serial('keep') }), feedback).pipe(
        remoteStats(MAX_LAT),
        tap((s) => {
          if (s.packetsIn === 1) feedback.next(serial('duplicate'));
        }),
        map((s) => s.packetsIn),
      );
      expectObservable(result).toBe('-(21)', { 1: 1, 2: 2 });
    });
  });
});
