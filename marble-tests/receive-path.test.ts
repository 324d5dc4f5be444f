/**
 * receivePath(options) in virtual time. The rule under test (SPEC §4 Latency,
 * Order and loss): each event of a remote reaches local clients at its date +
 * offset + G + maxLat; duplicates are dropped and counted; lost packets and
 * restarts release the notes left hanging; a remote's path ends only once its
 * last due event is out, and what still hangs then ends with it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, filter, identity, map, merge, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { MidiEvent } from '../src/model/event.js';
import type { StreamName } from '../src/model/station.js';
import type { LatePolicy } from '../src/operators/deliver-on-time.js';
import { receivePath, type Delivery, type ReceiveOutput } from '../src/operators/receive-path.js';
import type { LifeEffect } from '../src/operators/remote-lives.js';
import type { RemotePacket } from '../src/operators/remote-table.js';
import { transpose } from '../src/operators/transpose.js';
import { at, eventBytes, keyA, keyOff, keyOn, kept, midiPacket, plan, remotePacket } from './fixtures.js';

const MAX_LAT = 10;
const pathWith = (
  scheduler: TestScheduler,
  late: LatePolicy = 'play',
  inbound: (events: Observable<MidiEvent>) => Observable<MidiEvent> = identity,
) => receivePath({ maxLatMs: MAX_LAT, late, scheduler, inbound });

/** A one-packet group of `events` (each `[event, rel]`) dated `date`, arriving at `arrival` on `stream`. */
const packet = (
  serial: number,
  date: number,
  arrival: number,
  events: Array<[MidiEvent, number]>,
  stream: StreamName = 'udp',
): RemotePacket => remotePacket(midiPacket(serial, date, eventBytes(...events)), arrival, { stream });
const close: LifeEffect = { kind: 'close', key: keyA, name: 'hostA', reason: 'bye' };
const restart: LifeEffect = { kind: 'observed', key: keyA, report: { kind: 'restart' } };
const delivery = (event: MidiEvent): Delivery => ({ kind: 'delivery', event });
/** The keyOff the stuck-note guard makes for a hanging note. */
const released = (pitch: number, date: number) => delivery(at(keyOff(pitch, { vel: 64 }), date));

const C4 = keyOn(60);
const E4 = keyOn(64);

describe('receivePath', () => {
  test('G=10, maxLat=10: a keyOn sent at 3 is delivered at 23; the path ends after it, releasing what hangs', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      const effects = hot('  -------------p------(c|)', { p, c: close });
      const expected = '     -------------(vq)------(nk|)';
      expectObservable(effects.pipe(pathWith(scheduler))).toBe(expected, {
        v: kept(p),
        q: plan(23, [at(C4, 0)]),
        n: delivery(at(C4, 23)),
        k: released(60, 23),
      });
      expectSubscriptions(effects.subscriptions).toBe('^-------------------!');
    });
  });

  test('a Bye never cuts notes on their way: the path ends with the last due event, nothing left hanging', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packet(1, 13, 13, [
        [C4, 0],
        [keyOff(60), 8],
      ]);
      const deliveries$ = hot('  -------------p------(c|)', { p, c: close }).pipe(
        pathWith(scheduler),
        filter((output) => output.kind === 'delivery'),
      );
      expectObservable(deliveries$).toBe('23ms n 7ms (f|)', {
        n: delivery(at(C4, 23)),
        f: delivery(at(keyOff(60), 31)),
      });
    });
  });

  test('a duplicate is dropped: its verdict still goes out, for the statistics', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      const again = packet(1, 13, 18, [[C4, 0]]);
      const effects = hot('  -------------p----d------', { p, d: again });
      expectObservable(effects.pipe(pathWith(scheduler))).toBe('-------------(vq)-D----n-', {
        v: kept(p),
        q: plan(23, [at(C4, 0)]),
        D: { ...kept(again), verdict: 'duplicate' },
        n: delivery(at(C4, 23)),
      });
    });
  });

  test("a late packet is planned and counted; with late 'drop' it is not delivered, with 'play' at once", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // Dated 13, it arrives at 30: 17 ms later than usual, beyond maxLat.
      const p = packet(1, 13, 30, [[C4, 0]]);
      const effects = hot('  30ms p', { p });
      const outputs = {
        v: kept(p),
        q: plan(30, [at(C4, 0)], { transit: 17, late: true }),
        n: delivery(at(C4, 30)),
      };
      expectObservable(effects.pipe(pathWith(scheduler, 'drop'))).toBe('30ms (vq)', outputs);
      expectObservable(effects.pipe(pathWith(scheduler, 'play'))).toBe('30ms (vqn)', outputs);
    });
  });

  test("a restart (the table's 'observed' restart) releases the hanging notes at once", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      const deliveries$ = hot('  -------------p-----------r---', { p, r: restart }).pipe(
        pathWith(scheduler),
        filter((output) => output.kind === 'delivery'),
      );
      expectObservable(deliveries$).toBe('-----------------------n-k---', {
        n: delivery(at(C4, 23)),
        k: released(60, 25),
      });
    });
  });

  test('lost packets: the notes left hanging end 0.5 ms before the next packet plays, and the cut event is counted', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const timeline: Array<[number, ReceiveOutput['kind'], string]> = [];
    scheduler.run(({ hot }) => {
      // Serial 1 ends with the first 4 bytes of an event that serial 2 was to finish; serial 2 is lost.
      const first = midiPacket(1, 13, eventBytes([C4, 0], [keyOff(60), 5]).subarray(0, 13));
      const third = remotePacket(midiPacket(3, 33, eventBytes([E4, 0])), 33);
      hot('  -------------p-------------------t', { p: remotePacket(first, 13), t: third })
        .pipe(pathWith(scheduler))
        .subscribe((output) => {
          const what =
            output.kind === 'delivery'
              ? `${output.event.type} ${'pitch' in output.event ? output.event.pitch : ''} at ${output.event.date}`
              : output.kind === 'serial'
                ? `serial ${output.packet.serial} missing ${output.missing}`
                : output.kind === 'plan'
                  ? `at ${output.at}${output.releasesNotes ? ', releases notes' : ''}`
                  : output.reason;
          timeline.push([scheduler.now(), output.kind, what]);
        });
    });
    assert.deepEqual(timeline, [
      [13, 'serial', 'serial 1 missing 0'],
      [13, 'plan', 'at 23'],
      [23, 'delivery', 'keyOn 60 at 23'],
      [33, 'serial', 'serial 3 missing 1'],
      [33, 'plan', 'at 43, releases notes'],
      [33, 'rejected', 'event cut by a gap'],
      [42.5, 'delivery', 'keyOff 60 at 42.5'],
      [43, 'delivery', 'keyOn 64 at 43'],
    ]);
  });

  test("the user's inbound operator runs on deliveries, and the guard ends the notes it made", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      const effects = hot('  -------------p------(c|)', { p, c: close });
      expectObservable(effects.pipe(pathWith(scheduler, 'play', transpose(12)))).toBe(
        '-------------(vq)------(nk|)',
        {
          v: kept(p),
          q: plan(23, [at(C4, 0)]),
          n: delivery(at(keyOn(72), 23)),
          k: released(72, 23),
        },
      );
    });
  });

  test('two streams of one remote (udp and tcp) keep their own serials and their own losses', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const effects = hot('  -abcd-', {
        a: packet(1, 13, 1, [[C4, 0]], 'udp'),
        b: packet(1, 13, 2, [[keyOn(62, { port: 255 }), 0]], 'tcp'),
        c: packet(2, 23, 3, [[keyOff(60), 0]], 'udp'),
        d: packet(3, 33, 4, [[keyOff(62, { port: 255 }), 0]], 'tcp'),
      });
      const verdicts$ = effects.pipe(
        pathWith(scheduler),
        filter((output) => output.kind === 'serial'),
        map((v) => `${v.packet.stream} ${v.packet.serial} ${v.verdict} missing ${v.missing}`),
      );
      expectObservable(verdicts$).toBe('-abcd-', {
        a: 'udp 1 keep missing 0',
        b: 'tcp 1 keep missing 0',
        c: 'udp 2 keep missing 0',
        d: 'tcp 3 keep missing 1',
      });
    });
  });

  test('empty: completes', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<LifeEffect>('|').pipe(pathWith(scheduler))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<LifeEffect>('-').pipe(pathWith(scheduler))).toBe('-');
    });
  });

  test('error: forwarded at once; events on their way are dropped', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      expectObservable(hot('  -------------p---#', { p }).pipe(pathWith(scheduler))).toBe(
        '-------------(vq)#',
        { v: kept(p), q: plan(23, [at(C4, 0)]) },
      );
    });
  });

  test('early unsubscribe: events on their way are cancelled, with no keyOff, and the effects released', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const p = packet(1, 13, 13, [[C4, 0]]);
      const effects = hot('  -------------p--------------|', { p });
      const unsub = '        ^ 19ms !';
      expectObservable(effects.pipe(pathWith(scheduler)), unsub).toBe('-------------(vq)', {
        v: kept(p),
        q: plan(23, [at(C4, 0)]),
      });
      expectSubscriptions(effects.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: a packet sent in while an event is delivered is tracked and delivered in its turn', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<LifeEffect>();
      const seen = new Subject<ReceiveOutput>();
      const p = packet(1, 13, 13, [[C4, 0]]);
      const next = packet(2, 23, 23, [[E4, 0]]);
      merge(hot('  -------------p---', { p }), feedback)
        .pipe(pathWith(scheduler))
        .subscribe((output) => {
          seen.next(output);
          if (output.kind === 'delivery' && output.event.type === 'keyOn' && output.event.pitch === 60)
            feedback.next(next);
        });
      expectObservable(seen).toBe('-------------(vq)------(nVQ)-----e', {
        v: kept(p),
        q: plan(23, [at(C4, 0)]),
        n: delivery(at(C4, 23)),
        V: kept(next),
        Q: plan(33, [at(E4, 0)]),
        e: delivery(at(E4, 33)),
      });
    });
  });
});
