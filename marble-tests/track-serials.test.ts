/**
 * trackSerials() in virtual time. The rule under test (SPEC §4 Order and loss,
 * §6): duplicates and packets older than the last one kept are dropped; a gap
 * is counted as missing and flagged for the stream parser; a sender that
 * restarts begins a new stream instead of looking like duplicates.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isKept, serialStep, trackSerials } from '../src/operators/track-serials.js';
import type { SerialStamped, SerialVerdict } from '../src/model/pipeline.js';

const packet = (serial: number, date: number): SerialStamped => ({ serial, date });

type Verdict = SerialVerdict<SerialStamped>;
const keep = (p: SerialStamped, extra: Partial<Verdict> = {}): Verdict => ({
  kind: 'serial',
  packet: p,
  verdict: 'keep',
  afterGap: false,
  missing: 0,
  restarted: false,
  ...extra,
});
const drop = (p: SerialStamped, verdict: 'duplicate' | 'stale'): Verdict => ({ ...keep(p), verdict });

/** Runs packets through the pure step and returns the verdicts. */
function verdicts(...packets: SerialStamped[]): Verdict[] {
  let state: ReturnType<typeof serialStep>['state'];
  return packets.map((p) => {
    const step = serialStep(state, p);
    state = step.state;
    return step.verdict;
  });
}

describe('trackSerials', () => {
  test('keeps in-order packets, drops a duplicate and a stale one, counts a gap, sees a restart', () => {
    const p = {
      a: packet(1, 100),
      b: packet(2, 110),
      c: packet(5, 140),
      d: packet(4, 130),
      e: packet(6, 150),
      f: packet(1, 5), // the sender restarted: its clock started again near 0
    };
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  --a--b--b--c--d--e--f--|', p);
      const expected = '    --k--l--D--g--S--m--r--|';
      //                           dup  3,4  4 is stale now   restart
      expectObservable(source.pipe(trackSerials())).toBe(expected, {
        k: keep(p.a),
        l: keep(p.b),
        D: drop(p.b, 'duplicate'),
        g: keep(p.c, { afterGap: true, missing: 2 }),
        S: drop(p.d, 'stale'),
        m: keep(p.e),
        r: keep(p.f, { restarted: true }),
      });
      expectSubscriptions(source.subscriptions).toBe('^----------------------!');
    });
  });

  test('a stream first seen mid-way starts after a gap without counting missing packets', () => {
    assert.deepEqual(verdicts(packet(7, 0), packet(8, 300)), [
      keep(packet(7, 0), { afterGap: true }),
      keep(packet(8, 300)),
    ]);
  });

  test('serial 1 again: a duplicate of the first packet is dropped, another date is a restart', () => {
    assert.deepEqual(verdicts(packet(1, 100), packet(1, 100), packet(1, 2000)), [
      keep(packet(1, 100)),
      drop(packet(1, 100), 'duplicate'),
      keep(packet(1, 2000), { restarted: true }),
    ]);
  });

  test('a sender whose clock went on while it restarted: serial 1 dated after the last packet', () => {
    assert.deepEqual(
      verdicts(packet(41, 5000), packet(42, 5010), packet(1, 9000)).at(-1),
      keep(packet(1, 9000), { restarted: true }),
    );
  });

  test('a late packet 1 of a stream first seen at serial 3 is stale, not a restart', () => {
    assert.deepEqual(
      verdicts(packet(3, 130), packet(4, 140), packet(1, 110)).at(-1),
      drop(packet(1, 110), 'stale'),
    );
  });

  test('a head packet overtaken by the continuation after it is stale, not a restart', () => {
    // 5 began a group and 6 continued it; 6 came first, then 5 with a date later than 4's.
    assert.deepEqual(verdicts(packet(4, 140), packet(6, 0), packet(5, 150)), [
      keep(packet(4, 140), { afterGap: true }),
      keep(packet(6, 0), { afterGap: true, missing: 1 }),
      drop(packet(5, 150), 'stale'),
    ]);
  });

  test('the clock jumping back by more than jumpBackMs starts a new stream even with serials going on', () => {
    assert.deepEqual(
      verdicts(packet(9, 60_000), packet(10, 60_010), packet(11, 200)).at(-1),
      keep(packet(11, 200), { restarted: true, afterGap: true }),
    );
    assert.equal(
      serialStep({ lastSerial: 9, lastDate: 1000, firstSerial: 1, firstDate: 10 }, packet(10, 600), 300)
        .verdict.restarted,
      true,
    );
    assert.equal(
      serialStep({ lastSerial: 9, lastDate: 1000, firstSerial: 1, firstDate: 10 }, packet(10, 800), 300)
        .verdict.restarted,
      false,
    );
  });

  test('isKept tells the packets that go on to the stream parser', () => {
    assert.deepEqual(verdicts(packet(1, 10), packet(1, 10), packet(2, 20)).map(isKept), [true, false, true]);
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<SerialStamped>('|').pipe(trackSerials())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<SerialStamped>('-').pipe(trackSerials())).toBe('-');
    });
  });

  test('error: forwarded after the verdicts before it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const a = packet(1, 10);
      expectObservable(hot('--a--#', { a }).pipe(trackSerials())).toBe('--k--#', { k: keep(a) });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = packet(1, 10);
      const b = packet(2, 20);
      const source = hot('--a--b--|', { a, b });
      expectObservable(source.pipe(trackSerials()), '^---!').toBe('--k-', { k: keep(a) });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  test('reentrancy: a packet sent back from a subscriber sees the state the first one left', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const a = packet(1, 10);
      const feedback = new Subject<SerialStamped>();
      const result = merge(hot('--a--', { a }), feedback).pipe(
        trackSerials(),
        tap((v) => {
          if (v.verdict === 'keep') feedback.next(v.packet);
        }),
      );
      // tap runs before passing k on, so the echo's verdict D arrives first.
      expectObservable(result).toBe('--(Dk)', { k: keep(a), D: drop(a, 'duplicate') });
    });
  });
});
