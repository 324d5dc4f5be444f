/**
 * packetizeGroups(maxEventBytes, fine) in virtual time. The rule under test
 * (SPEC §5.2, §5.3, §11): the groups of one stream become packets numbered by
 * one serial counter from 1, continuations included; a group too big for one
 * packet continues in further packets dated 0; fine dates where `fine()` says so.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { DataEvent, MidiEvent } from '../src/model/event.js';
import type { EventGroup } from '../src/model/pipeline.js';
import { packetizeGroups, type PacketizedGroup } from '../src/operators/packetize-groups.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import { fineMaxEventBytes } from '../src/wire/fine-dates.js';
import { WAN_MAX_EVENT_BYTES, type MidiPacket } from '../src/wire/packet.js';
import { at, eventBytes, keyOn, midiPacket } from './fixtures.js';

const MAX = WAN_MAX_EVENT_BYTES; // 480
const group = (date: number, ...events: MidiEvent[]): EventGroup => ({ kind: 'group', date, events });
const packetized = (events: number, ...packets: MidiPacket[]): PacketizedGroup => ({ packets, events });

const a = at(keyOn(60), 0);
const b = at(keyOn(62), 4);
const c = at(keyOn(64), 9);
const sysEx: DataEvent = {
  type: 'sysEx',
  port: 0,
  chan: 0,
  date: 2,
  data: new Array<number>(1000).fill(0x42),
};
/** 7 + 1,000 bytes: 480 in its first packet, 480 in the next, the last 47 in a third. */
const sysExBytes = encodeEvent(sysEx, 2);

describe('packetizeGroups', () => {
  test('maxEventBytes 480: serials from 1 across groups and continuations; a big SysEx continues', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const groups = { x: group(14, a, b, c), y: group(30, sysEx) };
      const source = hot('  ----x-----------y-----|', groups);
      const expected = '    ----a-----------b-----|';
      expectObservable(source.pipe(packetizeGroups(MAX))).toBe(expected, {
        a: packetized(3, midiPacket(1, 14, eventBytes([a, 0], [b, 4], [c, 9]))),
        b: packetized(
          1,
          midiPacket(2, 30, sysExBytes.subarray(0, 480)),
          midiPacket(3, 0, sysExBytes.subarray(480, 960), 480), // all of it continues the SysEx
          midiPacket(4, 0, sysExBytes.subarray(960), 47),
        ),
      });
      expectSubscriptions(source.subscriptions).toBe('^---------------------!');
    });
  });

  test('fine() is asked per group: its packets are fine-dated, with room for the trailer', () => {
    const answers = [false, true, true];
    let asked = 0;
    const fine = () => answers[asked++] ?? false;
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const groups = { x: group(14, a), e: group(20), y: group(30.25, at(sysEx, 2.5)) };
      const source = hot('  -x-e-y-|', groups);
      const room = fineMaxEventBytes(MAX); // 419
      const fineDate = { date: 0.25 }; // 30.25: 30 on the wire
      expectObservable(source.pipe(packetizeGroups(MAX, fine))).toBe('-a---b-|', {
        a: packetized(1, midiPacket(1, 14, eventBytes([a, 0]))),
        // The empty group takes no serial. The SysEx, dated 2.5 relative, goes out as 3 (2.5 rounds up) − 0.5.
        b: packetized(
          1,
          {
            ...midiPacket(2, 30, encodeEvent(sysEx, 3).subarray(0, room)),
            fine: { ...fineDate, events: [-0.5] },
          },
          {
            ...midiPacket(3, 0, encodeEvent(sysEx, 3).subarray(room, 2 * room), room),
            fine: { ...fineDate, events: [] },
          },
          {
            ...midiPacket(4, 0, encodeEvent(sysEx, 3).subarray(2 * room), 1007 - 2 * room),
            fine: { ...fineDate, events: [] },
          },
        ),
      });
    });
    assert.equal(asked, 3, 'once per group, the empty one included');
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<EventGroup>('|').pipe(packetizeGroups(MAX))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<EventGroup>('-').pipe(packetizeGroups(MAX))).toBe('-');
    });
  });

  test('error: forwarded, after the packets before it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot('  -x-#', { x: group(14, a) }).pipe(packetizeGroups(MAX))).toBe('-a-#', {
        a: packetized(1, midiPacket(1, 14, eventBytes([a, 0]))),
      });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -x--y-|', { x: group(14, a), y: group(24, b) });
      const unsub = '       ^--!';
      expectObservable(source.pipe(packetizeGroups(MAX)), unsub).toBe('-a-', {
        a: packetized(1, midiPacket(1, 14, eventBytes([a, 0]))),
      });
      expectSubscriptions(source.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: a group sent in while packets leave is numbered after them', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<EventGroup>();
      const seen = new Subject<PacketizedGroup>();
      merge(hot('  -x-', { x: group(14, a) }), feedback)
        .pipe(packetizeGroups(MAX))
        .subscribe((packetizedGroup) => {
          seen.next(packetizedGroup);
          if (packetizedGroup.packets[0]?.serial === 1) feedback.next(group(15, b));
        });
      expectObservable(seen).toBe('-(ab)', {
        a: packetized(1, midiPacket(1, 14, eventBytes([a, 0]))),
        b: packetized(1, midiPacket(2, 15, eventBytes([b, 4]))),
      });
    });
  });
});
