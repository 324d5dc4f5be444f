/**
 * sendPath(options) in virtual time. The rule under test (SPEC §4 Grouping,
 * §5, §6, §7, §11): the events local clients send to one remote leave in one
 * packet per grouping period, port 255 on the reliable path when the peer
 * takes one, fine-dated when the peer reads fine dates; the path is busy from
 * the first event taken until every taken event is in a packet.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, identity, merge, type MonoTypeOperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { DataEvent, MidiEvent } from '../src/model/event.js';
import type { SentPackets } from '../src/model/pipeline.js';
import {
  sendPath,
  type Busy,
  type Packets,
  type SendOptions,
  type SendOutput,
} from '../src/operators/send-path.js';
import { transpose } from '../src/operators/transpose.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import { LAN_MAX_EVENT_BYTES, WAN_MAX_EVENT_BYTES, type MidiPacket } from '../src/wire/packet.js';
import { at, eventBytes, keyOn, midiPacket } from './fixtures.js';

const G = 10;
const pathWith = (scheduler: TestScheduler, options: Partial<SendOptions> = {}) =>
  sendPath({
    periodMs: G,
    maxEventBytes: LAN_MAX_EVENT_BYTES,
    fineDates: false,
    reliable: true,
    scheduler,
    outbound: identity,
    ...options,
  });

const packets = (path: Packets['path'], ...packets: MidiPacket[]): Packets => ({
  kind: 'packets',
  path,
  packets,
});
const sent = (packets: number, events: number): SentPackets => ({ kind: 'sent', packets, events });
const busy: Busy = { kind: 'busy', busy: true };
const idle: Busy = { kind: 'busy', busy: false };

const a = keyOn(60);
const b = keyOn(62);
const y = keyOn(64);
const r = keyOn(70, { port: 255 });
const x = keyOn(71, { port: 255 });

describe('sendPath', () => {
  test('G=10: a and b taken at 3 and 7 leave at 13 in one packet; busy from 3 until then', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const events = hot('  ---a---b-------------|', { a, b });
      const expected = '    ---B---------(psi)---|';
      expectObservable(events.pipe(pathWith(scheduler))).toBe(expected, {
        B: busy,
        p: packets('realtime', midiPacket(1, 13, eventBytes([a, 0], [b, 4]))),
        s: sent(1, 2),
        i: idle,
      });
      expectSubscriptions(events.subscriptions).toBe('^--------------------!');
    });
  });

  test('reliable peer: port 255 takes the reliable path, each path numbering its packets from 1', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const events = hot('  ---a-r-------------------xy--------', { a, r, x, y });
      const expected = '    ---B---------(PsRsi)-----B---------(QsTsi)';
      expectObservable(events.pipe(pathWith(scheduler, { reliable: true }))).toBe(expected, {
        B: busy,
        P: packets('realtime', midiPacket(1, 13, eventBytes([a, 0]))),
        R: packets('reliable', midiPacket(1, 13, eventBytes([r, 2]))),
        Q: packets('realtime', midiPacket(2, 35, eventBytes([y, 1]))),
        T: packets('reliable', midiPacket(2, 35, eventBytes([x, 0]))),
        s: sent(1, 1),
        i: idle,
      });
    });
  });

  test('peer without a reliable path: port 255 stays in the realtime stream, one serial counter', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const events = hot('  ---a-r-------------------xy--------', { a, r, x, y });
      const expected = '    ---B---------(psi)-------B---------(qsi)';
      expectObservable(events.pipe(pathWith(scheduler, { reliable: false }))).toBe(expected, {
        B: busy,
        p: packets('realtime', midiPacket(1, 13, eventBytes([a, 0], [r, 2]))),
        q: packets('realtime', midiPacket(2, 35, eventBytes([x, 0], [y, 1]))),
        s: sent(1, 2),
        i: idle,
      });
    });
  });

  test('realtime packets are fine-dated only to a peer that reads fine dates; reliable ones never', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // a was sent at 3.25: 0.25 ms after the group's D − G, which version 1 rounds to 0.
      const events = hot('  ---a-r-----', { a: at(a, 3.25), r });
      const fine = { ...midiPacket(1, 13, eventBytes([a, 0])), fine: { date: 0, events: [0.25] } };
      const plain = midiPacket(1, 13, eventBytes([a, 0]));
      const reliable = midiPacket(1, 13, eventBytes([r, 2]));
      expectObservable(events.pipe(pathWith(scheduler, { fineDates: true }))).toBe('---B---------(PsRsi)', {
        B: busy,
        P: packets('realtime', fine),
        R: packets('reliable', reliable),
        s: sent(1, 1),
        i: idle,
      });
      expectObservable(events.pipe(pathWith(scheduler, { fineDates: false }))).toBe('---B---------(PsRsi)', {
        B: busy,
        P: packets('realtime', plain),
        R: packets('reliable', reliable),
        s: sent(1, 1),
        i: idle,
      });
    });
  });

  test('a SysEx too big for one packet continues in further packets (WAN: 480 event bytes each)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const sysEx: DataEvent = { type: 'sysEx', port: 0, chan: 0, data: new Array<number>(1000).fill(0x42) };
      const bytes = encodeEvent(sysEx, 0); // 1007 bytes: 480 + 480 + 47
      const events = hot('  ---s------', { s: sysEx });
      expectObservable(events.pipe(pathWith(scheduler, { maxEventBytes: WAN_MAX_EVENT_BYTES }))).toBe(
        '---B---------(psi)',
        {
          B: busy,
          p: packets(
            'realtime',
            midiPacket(1, 13, bytes.subarray(0, 480)),
            midiPacket(2, 0, bytes.subarray(480, 960), 480),
            midiPacket(3, 0, bytes.subarray(960), 47),
          ),
          s: sent(3, 1),
          i: idle,
        },
      );
    });
  });

  test("the user's outbound operator runs first: an event it drops never makes the path busy", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      // transpose(12) drops keyOn 120 (132 is no MIDI pitch) and moves keyOn 60 to 72.
      const events = hot('  ---d-a-------', { d: keyOn(120), a });
      const outbound: MonoTypeOperatorFunction<MidiEvent> = transpose(12);
      expectObservable(events.pipe(pathWith(scheduler, { outbound }))).toBe('-----B---------(psi)', {
        B: busy,
        p: packets('realtime', midiPacket(1, 15, eventBytes([keyOn(72), 0]))),
        s: sent(1, 1),
        i: idle,
      });
    });
  });

  test('empty: completes, never busy', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('|').pipe(pathWith(scheduler))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<MidiEvent>('-').pipe(pathWith(scheduler))).toBe('-');
    });
  });

  test('error: forwarded at once; what was collected is dropped', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('  ---a--#', { a }).pipe(pathWith(scheduler))).toBe('---B--#', { B: busy });
    });
  });

  test('early unsubscribe: the open period is cancelled and the events released', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const events = hot('  ---a---b-------', { a, b });
      const unsub = '       ^ 9ms !';
      expectObservable(events.pipe(pathWith(scheduler)), unsub).toBe('---B------', { B: busy });
      expectSubscriptions(events.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: an event sent in as a packet leaves opens the next group, and the path stays busy', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ hot, expectObservable }) => {
      const feedback = new Subject<MidiEvent>();
      const seen = new Subject<SendOutput>();
      merge(hot('  ---a---', { a }), feedback)
        .pipe(pathWith(scheduler))
        .subscribe((output) => {
          seen.next(output);
          if (output.kind === 'packets' && output.packets[0]?.serial === 1) feedback.next(b);
        });
      expectObservable(seen).toBe('---B---------(ps)------(qsi)', {
        B: busy,
        p: packets('realtime', midiPacket(1, 13, eventBytes([a, 0]))),
        q: packets('realtime', midiPacket(2, 23, eventBytes([b, 0]))),
        s: sent(1, 1),
        i: idle,
      });
    });
  });
});
