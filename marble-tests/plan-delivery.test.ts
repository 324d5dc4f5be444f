/**
 * planDelivery(maxLat) in virtual time. The rule under test (SPEC §4 Latency):
 * a packet dated P that arrives at R is late by cur = (R − P) − offset; on time
 * (cur ≤ maxLat) its events are due at R + (maxLat − cur) + rel, late ones at
 * once keeping their spacing; a continuation is timed like its group's head.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, from, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { planDelivery, planStep } from '../src/operators/plan-delivery.js';
import type { DeliveryPlan, InboundPacket } from '../src/model/pipeline.js';
import type { MidiEvent } from '../src/model/event.js';
import { at, keyOn } from './fixtures.js';

const MAX_LAT = 10;
const inbound = (
  date: number,
  arrival: number,
  events: MidiEvent[],
  extra: Partial<InboundPacket> = {},
): InboundPacket => ({
  date,
  arrival,
  offset: 0,
  afterGap: false,
  releasesNotes: false,
  events,
  ...extra,
});
const plan = (
  atTime: number,
  transit: number,
  events: MidiEvent[],
  extra: Partial<DeliveryPlan> = {},
): DeliveryPlan => ({
  kind: 'plan',
  at: atTime,
  transit,
  late: false,
  continuation: false,
  releasesNotes: false,
  events,
  ...extra,
});

const a = at(keyOn(60), 0);
const b = at(keyOn(62), 4);
const c = at(keyOn(64), 2);
const d = at(keyOn(65), 7);
const e = at(keyOn(67), 9);

describe('planDelivery', () => {
  test('lat=10: on time due at R + (maxLat − cur); late at once; a continuation like its head', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const packets = {
        p: inbound(13, 13, [a, b]), //  cur = (13 − 13) − 0 = 0
        q: inbound(20, 35, [c, d]), //  cur = (35 − 20) − 0 = 15 > 10
        r: inbound(0, 40, [e]), //      continuation of q's group
      };
      const source = hot('  -------------p---------------------q----r--|', packets);
      const expected = '    -------------x---------------------y----z--|';
      expectObservable(source.pipe(planDelivery(MAX_LAT))).toBe(expected, {
        x: plan(23, 0, [a, b]), //                   first event at 23 = 13 + 10
        y: plan(33, 15, [c, d], { late: true }), //  33 + rel 2 = 35: the first event at once
        z: plan(33, 0, [e], { late: true, continuation: true }),
      });
      expectSubscriptions(source.subscriptions).toBe('^------------------------------------------!');
    });
  });

  test("a stream plays in the order it was sent: never before the previous packet's last event", () => {
    // p is late (played at once, 35 + 0 … 35 + 7); q, on time, would be due at 33 + rel.
    const p = planStep(undefined, inbound(20, 35, [a, d]), MAX_LAT);
    const q = planStep(p, inbound(23, 23, [c]), MAX_LAT);
    assert.equal(p.at, 35);
    assert.equal(q.at + (c.date ?? 0), 42, 'c waits for d (due 42), not 35');
  });

  test('a SysEx longer than a packet does not push the stream: its middle packets have nothing to wait for', () => {
    // p plays d (rel 7) at 30; then the 50 packets of one long SysEx, the last completing it (e,
    // rel 9). Each empty middle packet once pushed the next by the last relative date before it
    // (7 ms): 350 ms in all, until the maxLat cap let a later group overtake it (seen: 1,000
    // SysEx over TCP delivered out of order).
    const middle = Array.from({ length: 49 }, () => inbound(0, 14, []));
    const plans: DeliveryPlan[] = [];
    from([inbound(13, 13, [d]), ...middle, inbound(0, 15, [e])])
      .pipe(planDelivery(MAX_LAT))
      .subscribe((p) => plans.push(p));
    assert.deepEqual(plans, [
      plan(23, 0, [d]),
      ...middle.map(() => plan(23, 0, [], { continuation: true })),
      plan(23, 0, [e], { continuation: true }),
    ]);
  });

  test("a packet dated far ahead of its station's clock is planned as if on time, not held that far", () => {
    // Dated an hour ahead (a lying or broken sender): cur = (R − P) − offset = −3,600,000.
    const lying = planStep(undefined, inbound(3_600_100, 100, [a]), MAX_LAT);
    assert.equal(lying.transit, -MAX_LAT);
    assert.equal(lying.at, 100 + 2 * MAX_LAT, 'at most 2 × maxLat after it came');
    // A little ahead of usual (the offset includes the usual transit) is kept as it is.
    assert.equal(planStep(undefined, inbound(101, 100, [a]), MAX_LAT).at, 111);
  });

  test('packets that each span a wide range of relative dates cannot push the schedule away', () => {
    // Each has an event 1 s before its group date and one 1 s after: in order, the next would
    // start 2 s after the one before, and so on without end.
    const wide = (date: number) => inbound(date, date, [at(keyOn(60), -1000), at(keyOn(61), 1000)]);
    let previous: DeliveryPlan | undefined;
    const ats: number[] = [];
    for (const date of [100, 110, 120, 130]) {
      previous = planStep(previous, wide(date), MAX_LAT);
      ats.push(previous.at);
    }
    assert.deepEqual(ats, [110, 130, 140, 150], 'pushed by maxLat at most, not by 2 s each time');
  });

  test('jitter is removed: a packet 3 ms slower than usual is due at the same time', () => {
    const usual = planStep(undefined, inbound(13, 13, [a]), MAX_LAT);
    const slower = planStep(undefined, inbound(13, 16, [a]), MAX_LAT);
    assert.equal(usual.at, 23);
    assert.equal(slower.at, 23);
    assert.equal(slower.transit, 3);
  });

  test('the offset carries the clocks apart and the usual transit: due at P + offset + maxLat', () => {
    // The remote clock reads 1000 ms more than ours, and the usual transit is 2 ms.
    const p = planStep(undefined, inbound(5013, 4015, [b], { offset: -998 }), MAX_LAT);
    assert.equal(p.transit, 0);
    assert.equal(p.at, 5013 - 998 + MAX_LAT);
  });

  test('exactly maxLat late is still on time; one more is late', () => {
    assert.equal(planStep(undefined, inbound(13, 23, [a]), MAX_LAT).late, false);
    assert.equal(planStep(undefined, inbound(13, 24, [a]), MAX_LAT).late, true);
  });

  test('a continuation after a gap lost its head: timed as if on time, R + maxLat', () => {
    const head = planStep(undefined, inbound(13, 13, [a]), MAX_LAT);
    const orphan = planStep(head, inbound(0, 30, [c], { afterGap: true }), MAX_LAT);
    assert.deepEqual(orphan, plan(40, 0, [c], { continuation: true }));
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<InboundPacket>('|').pipe(planDelivery(MAX_LAT))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<InboundPacket>('-').pipe(planDelivery(MAX_LAT))).toBe('-');
    });
  });

  test('error: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const source = hot('--p-#', { p: inbound(2, 2, [a]) });
      expectObservable(source.pipe(planDelivery(MAX_LAT))).toBe('--x-#', { x: plan(12, 0, [a]) });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--p---q-|', { p: inbound(2, 2, [a]), q: inbound(6, 6, [a]) });
      expectObservable(source.pipe(planDelivery(MAX_LAT)), '^---!').toBe('--x-', { x: plan(12, 0, [a]) });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  test('reentrancy: a continuation sent back from a subscriber follows the head it came after', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<InboundPacket>();
      const result = merge(hot('--p--', { p: inbound(2, 2, [a]) }), feedback).pipe(
        planDelivery(MAX_LAT),
        tap((x) => {
          if (!x.continuation) feedback.next(inbound(0, 2, [b]));
        }),
      );
      // tap passes the head on after the echo, so the continuation's plan comes first.
      expectObservable(result).toBe('--(zx)', {
        x: plan(12, 0, [a]),
        z: plan(12, 0, [b], { continuation: true }),
      });
    });
  });
});
