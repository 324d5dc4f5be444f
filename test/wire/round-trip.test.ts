/**
 * The whole version-1 path for events: event -> bytes -> packets (any size
 * limit) -> datagrams or a TCP stream cut anywhere -> packets -> stream
 * parser -> the same events.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import type { MidiEvent } from '../../src/model/event.js';
import { decodePacket, encodePacket } from '../../src/wire/codec.js';
import type { MidiPacket } from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import { feedPacket, initialStreamParser } from '../../src/wire/stream-parser.js';
import { feedTcp, initialTcpFramer } from '../../src/wire/tcp-framer.js';
import { arbitraryEvent } from './arbitraries.js';

function receive(datagrams: Uint8Array[]): MidiEvent[] {
  let state = initialStreamParser();
  const events: MidiEvent[] = [];
  for (const bytes of datagrams) {
    const packet = decodePacket(bytes);
    assert.ok(packet.ok && packet.value.kind === 'midi');
    const step = feedPacket(state, packet.value as MidiPacket, false);
    assert.deepEqual(step.rejected, []);
    events.push(...step.events);
    state = step.state;
  }
  assert.equal(state.partial.length, 0);
  return events;
}

const burst = fc.array(arbitraryEvent({ maxDataLength: 300 }), { maxLength: 25 });
const limit = fc.integer({ min: 1, max: 1468 });

describe('events round trip through the wire', () => {
  test('over UDP: every event type, any size limit', () => {
    fc.assert(
      fc.property(burst, limit, (events, maxEventBytes) => {
        const packets = packetize(events, { firstSerial: 1, date: 1234, maxEventBytes });
        assert.deepEqual(receive(packets.map((p) => encodePacket(p))), events);
      }),
      { numRuns: 400 },
    );
  });

  test('over TCP: the same, with the stream cut and coalesced anywhere', () => {
    fc.assert(
      fc.property(burst, limit, fc.array(fc.nat(), { maxLength: 20 }), (events, maxEventBytes, cuts) => {
        const stream = Buffer.concat(
          packetize(events, { firstSerial: 1, date: 1234, maxEventBytes }).map((p) => encodePacket(p)),
        );
        const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let framer = initialTcpFramer();
        const frames: Uint8Array[] = [];
        for (const [i, end] of [...at, stream.length].entries()) {
          const fed = feedTcp(framer, stream.subarray(i === 0 ? 0 : at[i - 1], end));
          assert.equal(fed.error, undefined);
          framer = fed.state;
          frames.push(...fed.packets);
        }
        assert.deepEqual(receive(frames), events);
      }),
      { numRuns: 300 },
    );
  });
});
