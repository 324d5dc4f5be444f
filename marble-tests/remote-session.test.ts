/**
 * remoteSession(life, outbound$, options) in virtual time. The rule under
 * test (SPEC §4, DESIGN.md: lifetimes are groups): one remote, from its open
 * to its close, is its receive path, its send path and its statistics; the
 * session ends once the remote has closed and its last due event is out, and
 * takes no event to send after the close.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, identity, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { MidiEvent } from '../src/model/event.js';
import type { ClockReference, RemoteStats } from '../src/model/pipeline.js';
import type { Delivery } from '../src/operators/receive-path.js';
import type { LifeEffect } from '../src/operators/remote-lives.js';
import {
  remoteSession,
  type SessionOptions,
  type SessionOutput,
  type StatsNow,
} from '../src/operators/remote-session.js';
import { initialRemoteStats } from '../src/operators/remote-stats.js';
import type { RemotePeer } from '../src/operators/remote-table.js';
import type { Busy, Packets } from '../src/operators/send-path.js';
import { LAN_MAX_EVENT_BYTES, type MidiPacket } from '../src/wire/packet.js';
import { at, eventBytes, hostA, keyA, keyOff, keyOn, midiPacket, remotePacket } from './fixtures.js';

const MAX_LAT = 10;
const G = 10;
const peer: RemotePeer = { key: keyA, name: 'hostA', from: hostA, fineDates: false, reliable: true };
const sessionOf = (
  scheduler: TestScheduler,
  effects$: Observable<LifeEffect>,
  outbound$: Observable<MidiEvent>,
  lifePeer: RemotePeer = peer,
) => {
  const options: SessionOptions = {
    maxLatMs: MAX_LAT,
    late: 'play',
    periodMs: G,
    maxEventBytes: LAN_MAX_EVENT_BYTES,
    scheduler,
    inbound: identity,
    outbound: identity,
  };
  return remoteSession({ peer: lifePeer, effects$ }, outbound$, options);
};

const clock: ClockReference = { kind: 'clock', offset: 0, locked: true, samples: 6, spread: 0, restarts: 0 };
const observed: LifeEffect = { kind: 'observed', key: keyA, report: clock };
const restart: LifeEffect = { kind: 'observed', key: keyA, report: { kind: 'restart' } };
const close: LifeEffect = { kind: 'close', key: keyA, name: 'hostA', reason: 'bye' };
const packetOf = (serial: number, date: number, arrival: number, ...events: Array<[MidiEvent, number]>) =>
  remotePacket(midiPacket(serial, date, eventBytes(...events)), arrival);

const statsNow = (changes: Partial<RemoteStats>): StatsNow => ({
  kind: 'stats',
  stats: { ...initialRemoteStats(MAX_LAT), ...changes },
});
/** The deviation histogram after one packet that came as usual (transit 0: the first bucket). */
const onePacketOnTime = () => {
  const { deviation } = initialRemoteStats(MAX_LAT);
  return { ...deviation, counts: deviation.counts.map((n, i) => (i === 0 ? n + 1 : n)) };
};
const packets = (path: Packets['path'], ...sent: MidiPacket[]): Packets => ({
  kind: 'packets',
  path,
  packets: sent,
});
const delivery = (event: MidiEvent): Delivery => ({ kind: 'delivery', event });
const busy: Busy = { kind: 'busy', busy: true };
const idle: Busy = { kind: 'busy', busy: false };

const C4 = keyOn(60);
const a = keyOn(67);
const b = keyOn(69);

describe('remoteSession', () => {
  test('receives, sends and counts; closes, then ends after its last due event', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const p = packetOf(1, 17, 17, [C4, 0]);
      const effects = hot('   -k---------------p---(c|)', { k: observed, p, c: close });
      const outbound = hot('  --a-------------------b', { a, b });
      const expected = '      -wB---------(Pxi)(yz)C-----(nk|)';
      const sent = { offset: 0, packetsOut: 1, eventsOut: 1 };
      expectObservable(sessionOf(scheduler, effects, outbound)).toBe(expected, {
        w: statsNow({ offset: 0 }),
        B: busy,
        P: packets('realtime', midiPacket(1, 12, eventBytes([a, 0]))),
        x: statsNow(sent),
        i: idle,
        y: statsNow({ ...sent, packetsIn: 1 }),
        z: statsNow({ ...sent, packetsIn: 1, eventsIn: 1, deviation: onePacketOnTime() }),
        C: { kind: 'closing', reason: 'bye' },
        n: delivery(at(C4, 27)),
        k: delivery(at(keyOff(60, { vel: 64 }), 27)),
      });
      expectSubscriptions(effects.subscriptions).toBe('^--------------------!');
      expectSubscriptions(outbound.subscriptions).toBe('^--------------------!');
    });
  });

  test('events collected when the remote closes still leave, at the close; the session then ends', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const effects = hot('   ------------------(c|)', { c: close });
      const outbound = hot('  ---------------a------', { a });
      expectObservable(sessionOf(scheduler, effects, outbound)).toBe('---------------B--(PxiC|)', {
        B: busy,
        P: packets('realtime', midiPacket(1, 18, eventBytes([a, 7]))),
        x: statsNow({ packetsOut: 1, eventsOut: 1 }),
        i: idle,
        C: { kind: 'closing', reason: 'bye' },
      });
    });
  });

  test('a restart is counted and releases the notes left hanging at once', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packetOf(1, 17, 17, [C4, 0]);
      const effects = hot('   -----------------p-------------r', { p, r: restart });
      const outputs$ = sessionOf(scheduler, effects, hot<MidiEvent>('-'));
      const received = { packetsIn: 1, eventsIn: 1, deviation: onePacketOnTime() };
      expectObservable(outputs$).toBe('-----------------(yz)------n---(kr)', {
        y: statsNow({ packetsIn: 1 }),
        z: statsNow(received),
        n: delivery(at(C4, 27)),
        k: delivery(at(keyOff(60, { vel: 64 }), 31)),
        r: statsNow({ ...received, restarts: 1 }),
      });
    });
  });

  test('an event its packets carry and no one can read goes out as rejected, for the log, not the statistics', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // len 5, type 20: a type no station sends; skipped by its length.
      const unknown = remotePacket(midiPacket(1, 17, new Uint8Array([0, 5, 20, 0, 0, 0, 0])), 17);
      const outputs$ = sessionOf(
        scheduler,
        hot('  -----------------u---', { u: unknown }),
        hot<MidiEvent>('-'),
      );
      expectObservable(outputs$).toBe('-----------------(yzR)', {
        y: statsNow({ packetsIn: 1 }),
        z: statsNow({ packetsIn: 1, deviation: onePacketOnTime() }),
        R: { kind: 'rejected', reason: 'unknown event type 20' },
      });
    });
  });

  test("the peer's capabilities choose the paths and the dates: no reliable path, fine dates", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const r = keyOn(70, { port: 255 });
      const version1Peer = { ...peer, reliable: false, fineDates: true };
      const outputs$ = sessionOf(scheduler, hot<LifeEffect>('-'), hot('  --a-r---', { a, r }), version1Peer);
      expectObservable(outputs$).toBe('--B---------(Pxi)', {
        B: busy,
        P: packets('realtime', {
          ...midiPacket(1, 12, eventBytes([a, 0], [r, 2])),
          fine: { date: 0, events: [0, 0] },
        }),
        x: statsNow({ packetsOut: 1, eventsOut: 2 }),
        i: idle,
      });
    });
  });

  test('empty: a life that ends without a close ends the session too', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(sessionOf(scheduler, cold<LifeEffect>('|'), hot<MidiEvent>('-'))).toBe('|');
    });
  });

  test('empty: a life that is only its close ends at once', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(sessionOf(scheduler, cold('(c|)', { c: close }), hot<MidiEvent>('-'))).toBe('(C|)', {
        C: { kind: 'closing', reason: 'bye' },
      });
    });
  });

  test('never: emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(sessionOf(scheduler, cold<LifeEffect>('-'), cold<MidiEvent>('-'))).toBe('-');
    });
  });

  test('error: from its effects or from outbound$, forwarded at once', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const p = packetOf(1, 17, 17, [C4, 0]);
      expectObservable(sessionOf(scheduler, hot('  -p------#', { p }), hot<MidiEvent>('-'))).toBe(
        '-(yz)---#',
        {
          y: statsNow({ packetsIn: 1 }),
          z: statsNow({ packetsIn: 1, eventsIn: 1, deviation: onePacketOnTime() }),
        },
      );
      expectObservable(sessionOf(scheduler, hot<LifeEffect>('-'), hot('  -a--#', { a }))).toBe('-B--#', {
        B: busy,
      });
    });
  });

  test('early unsubscribe: what is on its way is cancelled, and the effects and outbound$ are released', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const p = packetOf(1, 17, 17, [C4, 0]);
      const effects = hot('   -----------------p-------------|', { p });
      const outbound = hot('  ---------------a---------------', { a });
      const unsub = '         ^ 20ms !';
      expectObservable(sessionOf(scheduler, effects, outbound), unsub).toBe('---------------B-(yz)', {
        B: busy,
        y: statsNow({ packetsIn: 1 }),
        z: statsNow({ packetsIn: 1, eventsIn: 1, deviation: onePacketOnTime() }),
      });
      expectSubscriptions(effects.subscriptions).toBe(unsub);
      expectSubscriptions(outbound.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: a listener that plays back what it hears sends it in on the delivery; it is taken then', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const outbound = new Subject<MidiEvent>();
      const seen = new Subject<SessionOutput>();
      const p = packetOf(1, 17, 17, [C4, 0]);
      sessionOf(scheduler, hot('  -----------------p----', { p }), outbound).subscribe((output) => {
        seen.next(output);
        if (output.kind === 'delivery') outbound.next(keyOn(60));
      });
      const received = { packetsIn: 1, eventsIn: 1, deviation: onePacketOnTime() };
      expectObservable(seen).toBe('-----------------(yz)------(nB)------(Pxi)', {
        y: statsNow({ packetsIn: 1 }),
        z: statsNow(received),
        n: delivery(at(C4, 27)),
        B: busy,
        P: packets('realtime', midiPacket(1, 37, eventBytes([C4, 0]))),
        x: statsNow({ ...received, packetsOut: 1, eventsOut: 1 }),
        i: idle,
      });
    });
  });
});
