/**
 * Fine dates (SPEC §11, src/wire/fine-dates.ts): what version-1's whole
 * milliseconds leave out travels in a type-8 trailer to peers whose HostID
 * capabilities (src/wire/capabilities.ts) say they read it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withDate, type MidiEvent } from '../../src/model/event.js';
import { decodeCapabilities, encodeCapabilities } from '../../src/wire/capabilities.js';
import { decodePacket, encodePacket } from '../../src/wire/codec.js';
import { FINE_STEPS_PER_MS, fineMaxEventBytes, splitDate, wholeMs } from '../../src/wire/fine-dates.js';
import { LAN_MAX_EVENT_BYTES, MIDI_HEADER_SIZE, type MidiPacket } from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import { feedPacket, initialStreamParser } from '../../src/wire/stream-parser.js';
import { arbitraryEvent } from './arbitraries.js';

/** Half a step: the most a fraction loses in 1/256 ms. */
const HALF_STEP = 0.5 / FINE_STEPS_PER_MS;

/** Datagrams → packets → events, with each packet's date P as the receiver plans from it. */
function receive(datagrams: Uint8Array[]): { date: number; events: MidiEvent[] } {
  let state = initialStreamParser();
  let date = NaN;
  const events: MidiEvent[] = [];
  for (const bytes of datagrams) {
    const decoded = decodePacket(bytes);
    assert.ok(decoded.ok && decoded.value.kind === 'midi', decoded.ok ? decoded.value.kind : decoded.reason);
    const packet = decoded.value as MidiPacket;
    if (packet.date !== 0) date = packet.date + (packet.fine?.date ?? 0);
    const step = feedPacket(state, packet, false);
    assert.deepEqual(step.rejected, []);
    events.push(...step.events);
    state = step.state;
  }
  return { date, events };
}

/** Relative dates to the sub-ms, as groupEvents makes them. */
const finelyDated = fc
  .tuple(arbitraryEvent({ maxDataLength: 300 }), fc.double({ min: -30000, max: 30000, noNaN: true }))
  .map(([event, date]) => withDate(event, date));

describe('capabilities', () => {
  test('fine dates round trip, with the clock fraction to 1/256 ms', () => {
    const decoded = decodeCapabilities(encodeCapabilities({ fineDates: { clockFraction: 0.3 } }));
    assert.ok(decoded.fineDates !== undefined);
    assert.ok(Math.abs(decoded.fineDates.clockFraction - 0.3) <= HALF_STEP);
  });

  test("a version-1 station's empty extra, and bytes of another form, announce nothing", () => {
    assert.deepEqual(decodeCapabilities(new Uint8Array()), {});
    assert.deepEqual(decodeCapabilities(Uint8Array.from([0x01, 0x01, 0x00])), {});
    assert.deepEqual(decodeCapabilities(encodeCapabilities({})), {});
  });

  test('unknown entries are skipped by their length; a cut entry ends the list', () => {
    const fine = [0x01, 0x01, 0x40];
    const withUnknown = Uint8Array.from([0x6d, 0x73, 0x69, 0x01, 0x7f, 0x02, 0xaa, 0xbb, ...fine]);
    assert.deepEqual(decodeCapabilities(withUnknown), { fineDates: { clockFraction: 0.25 } });
    const cut = Uint8Array.from([0x6d, 0x73, 0x69, 0x01, 0x7f, 0x09, 0xaa, ...fine]);
    assert.deepEqual(decodeCapabilities(cut), {});
  });

  test('any bytes: never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (tail) => {
        decodeCapabilities(Uint8Array.from([0x6d, 0x73, 0x69, 0x01, ...tail]));
      }),
    );
  });
});

describe('splitting a date', () => {
  test('any date: the fraction fits an i8 without clamping, and whole + fraction is the date', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (date) => {
        const { whole, fraction } = splitDate(date);
        const step = Math.round(fraction * FINE_STEPS_PER_MS);
        assert.ok(Number.isInteger(whole));
        assert.ok(step >= -128 && step <= 127, `${date}: ${step} steps`);
        assert.ok(Math.abs(whole + step / FINE_STEPS_PER_MS - date) <= HALF_STEP, `${date}`);
      }),
      { numRuns: 2000 },
    );
  });

  test('a date less than half a step below x.5 goes up a whole ms (it once wanted +128 steps)', () => {
    // Found by the property below: 14362.498046875002 is 127.5000005 steps above 14362.
    assert.equal(splitDate(14362.498046875002).whole, 14363);
    assert.equal(Math.round(splitDate(14362.498046875002).fraction * FINE_STEPS_PER_MS), -128);
    assert.equal(splitDate(14362.49).whole, 14362);
    assert.equal(splitDate(-3.5).whole, -3);
  });
});

describe('fine-dated packets', () => {
  test('any events, group date and limit: each event lands at its exact date, to 1/256 ms', () => {
    fc.assert(
      fc.property(
        fc.array(finelyDated, { minLength: 1, maxLength: 25 }),
        fc.double({ min: 1, max: 1e9, noNaN: true }),
        fc.integer({ min: 1, max: 1468 }),
        (events, groupDate, maxEventBytes) => {
          const packets = packetize(events, { firstSerial: 1, date: groupDate, maxEventBytes, fine: true });
          const received = receive(packets.map((p) => encodePacket(p)));
          assert.ok(Math.abs(received.date - groupDate) <= HALF_STEP, 'P: the exact group date');
          assert.equal(received.events.length, events.length);
          received.events.forEach((event, i) => {
            // Sent: relative to round(D) − G. Received: relative to the exact P − G.
            const sent = wholeMs(groupDate) + (events[i]?.date ?? NaN);
            const arrived = received.date + (event.date ?? NaN);
            assert.ok(Math.abs(arrived - sent) <= 2 * HALF_STEP, `event ${i}: ${arrived} for ${sent}`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('without fine dates, the same events go as version 1: whole milliseconds', () => {
    const events = [withDate({ type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 90 } as MidiEvent, 3.3)];
    const [packet] = packetize(events, { firstSerial: 1, date: 100.6, maxEventBytes: LAN_MAX_EVENT_BYTES });
    assert.ok(packet !== undefined);
    assert.equal(packet.fine, undefined);
    assert.equal(encodePacket(packet)[3], 5, 'type 5');
    assert.deepEqual(receive([encodePacket(packet)]), { date: 101, events: [{ ...events[0], date: 3 }] });
  });

  test('a full LAN burst: fine-dated datagrams are never longer than the longest version-1 one', () => {
    const smallest: MidiEvent = { type: 'clock', date: 0.25, port: 0, chan: 0 };
    const packets = packetize(new Array<MidiEvent>(2000).fill(smallest), {
      firstSerial: 1,
      date: 5,
      maxEventBytes: fineMaxEventBytes(LAN_MAX_EVENT_BYTES),
      fine: true,
    });
    const longest = Math.max(...packets.map((p) => encodePacket(p).length));
    assert.ok(longest <= MIDI_HEADER_SIZE + LAN_MAX_EVENT_BYTES, `${longest} bytes`);
    assert.ok(longest > MIDI_HEADER_SIZE + LAN_MAX_EVENT_BYTES - 8, 'and not much shorter');
  });
});
