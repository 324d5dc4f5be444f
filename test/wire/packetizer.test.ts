import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import type { MidiEvent } from '../../src/model/event.js';
import { encodeEvent } from '../../src/wire/event-codec.js';
import { LAN_MAX_EVENT_BYTES, WAN_MAX_EVENT_BYTES } from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import { arbitraryEvent } from './arbitraries.js';

/** 9 bytes on the wire. */
const keyOn = (pitch: number): MidiEvent => ({ type: 'keyOn', date: 0, port: 0, chan: 0, pitch, vel: 100 });
const keyOns = (n: number) => Array.from({ length: n }, (_, i) => keyOn(i % 128));

describe('packetize', () => {
  test('no events, no packet', () => {
    assert.deepEqual(packetize([], { firstSerial: 1, date: 10, maxEventBytes: LAN_MAX_EVENT_BYTES }), []);
  });

  test('a burst that fits: one packet with the date, offset 0', () => {
    const [only, ...others] = packetize(keyOns(3), {
      firstSerial: 42,
      date: 1000,
      maxEventBytes: LAN_MAX_EVENT_BYTES,
    });
    assert.deepEqual(others, []);
    assert.deepEqual(
      { ...only, events: only?.events.length },
      { kind: 'midi', serial: 42, date: 1000, offset: 0, events: 27 },
    );
  });

  test('LAN: 200 KeyOns (1800 bytes) fill a 1468-byte packet, the rest continues with date 0', () => {
    const packets = packetize(keyOns(200), {
      firstSerial: 7,
      date: 5000,
      maxEventBytes: LAN_MAX_EVENT_BYTES,
    });
    assert.deepEqual(
      packets.map((p) => ({ serial: p.serial, date: p.date, offset: p.offset, count: p.events.length })),
      [
        { serial: 7, date: 5000, offset: 0, count: 1468 },
        // 1468 = 163 × 9 + 1: the 164th KeyOn has 1 byte in the first packet, 8 in the second.
        { serial: 8, date: 0, offset: 8, count: 1800 - 1468 },
      ],
    );
  });

  test('WAN: at most 480 event bytes per packet; an event filling a whole packet gives offset = count', () => {
    const sysEx: MidiEvent = {
      type: 'sysEx',
      date: 0,
      port: 0,
      chan: 0,
      data: new Array<number>(1000).fill(0x22),
    };
    const packets = packetize([keyOn(1), sysEx, keyOn(2)], {
      firstSerial: 1,
      date: 9,
      maxEventBytes: WAN_MAX_EVENT_BYTES,
    });
    // 9 + 1007 + 9 = 1025 bytes: 480, 480, 65
    assert.deepEqual(
      packets.map((p) => [p.serial, p.date, p.offset, p.events.length]),
      [
        [1, 9, 0, 480],
        [2, 0, 480, 480],
        [3, 0, 1016 - 960, 65],
      ],
    );
  });

  test('an event ending exactly at a packet end leaves the next packet offset 0', () => {
    const packets = packetize(keyOns(4), { firstSerial: 1, date: 1, maxEventBytes: 18 });
    assert.deepEqual(
      packets.map((p) => [p.offset, p.events.length]),
      [
        [0, 18],
        [0, 18],
      ],
    );
  });

  test('serials wrap around the u32', () => {
    const packets = packetize(keyOns(3), { firstSerial: 0xffffffff, date: 1, maxEventBytes: 9 });
    assert.deepEqual(
      packets.map((p) => p.serial),
      [0xffffffff, 0, 1],
    );
  });

  test('a limit outside 1..32767 is a caller bug', () => {
    for (const maxEventBytes of [0, -1, 1.5, 0x8000]) {
      assert.throws(() => packetize(keyOns(1), { firstSerial: 1, date: 1, maxEventBytes }), RangeError);
    }
  });

  test('for any events and limit: the bytes in order, full packets, serials +1, dates, offsets', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryEvent({ maxDataLength: 200 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (events, maxEventBytes, date, firstSerial) => {
          const encoded = events.map((e) => encodeEvent(e, e.date ?? 0));
          const stream = Buffer.concat(encoded);
          const packets = packetize(events, { firstSerial, date, maxEventBytes });
          assert.equal(Buffer.concat(packets.map((p) => p.events)).toString('hex'), stream.toString('hex'));
          // Where events end; a packet boundary inside an event is what `offset` reports.
          const ends = encoded.map((_, i) => encoded.slice(0, i + 1).reduce((n, b) => n + b.length, 0));
          packets.forEach((p, i) => {
            const start = i * maxEventBytes;
            assert.equal(p.serial, (firstSerial + i) % 2 ** 32);
            assert.equal(p.date, i === 0 ? date : 0);
            assert.equal(p.events.length, i < packets.length - 1 ? maxEventBytes : stream.length - start);
            const straddling = encoded.findIndex(
              (b, k) => (ends[k] ?? 0) > start && (ends[k] ?? 0) - b.length < start,
            );
            const expected = straddling < 0 ? 0 : Math.min((ends[straddling] ?? 0) - start, p.events.length);
            assert.equal(p.offset, expected);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
