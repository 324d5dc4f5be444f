import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import type { MidiEvent } from '../../src/model/event.js';
import { encodeEvent, MAX_EVENT_BYTES } from '../../src/wire/event-codec.js';
import type { MidiPacket } from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import {
  feedPacket,
  initialStreamParser,
  MAX_PARTIAL_BYTES,
  type StreamParserState,
  type StreamParserStep,
} from '../../src/wire/stream-parser.js';

const keyOn = (pitch: number): MidiEvent => ({ type: 'keyOn', date: 0, port: 0, chan: 0, pitch, vel: 100 });
const sysEx = (length: number): MidiEvent => ({
  type: 'sysEx',
  date: 5,
  port: 0,
  chan: 0,
  data: Array.from({ length }, (_, i) => i % 128),
});
const bytesOf = (events: MidiEvent[]) => Buffer.concat(events.map((e) => encodeEvent(e, e.date ?? 0)));

let serial = 0;
const packet = (events: Uint8Array, offset = 0): MidiPacket => ({
  kind: 'midi',
  serial: ++serial,
  date: 0,
  offset,
  events,
});

/** Feeds packets in order; `gaps` holds the indexes of packets that follow a gap. */
function run(packets: MidiPacket[], gaps: number[] = [], from = initialStreamParser()) {
  let state: StreamParserState = from;
  const events: MidiEvent[] = [];
  const rejected: string[] = [];
  packets.forEach((p, i) => {
    const step: StreamParserStep = feedPacket(state, p, gaps.includes(i));
    state = step.state;
    events.push(...step.events);
    rejected.push(...step.rejected);
  });
  return { state, events, rejected };
}

describe('stream parser', () => {
  const mix = [
    keyOn(60),
    sysEx(20),
    { type: 'tempo', date: -1, port: 3, chan: 0, value: 500_000 } as MidiEvent,
    keyOn(62),
  ];
  const stream = bytesOf(mix);

  test('joins events split across two packets at every possible byte', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const result = run([packet(stream.subarray(0, cut)), packet(stream.subarray(cut))]);
      assert.deepEqual(result.events, mix, `cut at ${cut}`);
      assert.deepEqual(result.rejected, []);
      assert.equal(result.state.partial.length, 0);
    }
  });

  test('joins an event spread over many packets, one byte each', () => {
    const result = run([...stream].map((byte) => packet(Uint8Array.of(byte))));
    assert.deepEqual(result.events, mix);
  });

  test('a SysEx larger than a packet arrives whole', () => {
    const big = sysEx(5000);
    const packets = packetize([big, keyOn(1)], { firstSerial: 1, date: 100, maxEventBytes: 480 });
    assert.ok(packets.length > 10);
    assert.deepEqual(run(packets).events, [big, keyOn(1)]);
  });

  test('after a gap: drops the partial event and resumes at the packet offset', () => {
    const first = bytesOf([keyOn(1), sysEx(30)]); // 9 + 37 bytes
    const lostEvent = bytesOf([sysEx(40)]); // 47 bytes, sent in the missing packet and the next
    const next = Buffer.concat([lostEvent.subarray(20), bytesOf([keyOn(2)])]);
    const result = run(
      [
        packet(first.subarray(0, 20)),
        packet(Buffer.concat([first.subarray(20), lostEvent.subarray(0, 20)])),
        packet(next, 27),
      ].filter(
        (_, i) => i !== 1, // the second packet is lost
      ),
      [1],
    );
    assert.deepEqual(result.events, [keyOn(1), keyOn(2)]);
    assert.deepEqual(result.rejected, ['event cut by a gap']);
  });

  test('after a gap into a packet that an event fills entirely, it waits for the next offset', () => {
    const big = sysEx(300);
    const packets = packetize([keyOn(1), big, keyOn(2)], { firstSerial: 1, date: 100, maxEventBytes: 100 });
    assert.ok(packets.length >= 4);
    assert.equal(packets[2]!.offset, packets[2]!.events.length, 'the third packet is all SysEx');
    const result = run([packets[0]!, ...packets.slice(2)], [1]);
    assert.deepEqual(result.events, [keyOn(1), keyOn(2)]);
    assert.deepEqual(result.rejected, ['event cut by a gap']);
  });

  test('while the stream is intact, offsets are not consulted (as in the original)', () => {
    const result = run([packet(stream.subarray(0, 12)), packet(stream.subarray(12), 0)]);
    assert.deepEqual(result.events, mix);
  });

  test('skips unknown types by their len, even across packets', () => {
    const unknown = Buffer.from('000a 77 0000 00 00 0102030405'.replace(/ /g, ''), 'hex');
    const bytes = Buffer.concat([unknown, bytesOf([keyOn(7)])]);
    const result = run([packet(bytes.subarray(0, 4)), packet(bytes.subarray(4))]);
    assert.deepEqual(result.events, [keyOn(7)]);
    assert.deepEqual(result.rejected, ['unknown event type 119']);
  });

  test('an event whose len is wrong for its type is skipped by its len', () => {
    const bad = Buffer.from('0008 01 0000 00 00 3c6400'.replace(/ /g, ''), 'hex');
    const result = run([packet(Buffer.concat([bad, bytesOf([keyOn(8)])]))]);
    assert.deepEqual(result.events, [keyOn(8)]);
    assert.deepEqual(result.rejected, ['bad length for keyOn']);
  });

  test('a len below 5 loses the stream: the rest of the packet is dropped, the next resumes at its offset', () => {
    const broken = Buffer.concat([bytesOf([keyOn(1)]), Buffer.from([0, 2, 9, 9]), bytesOf([keyOn(2)])]);
    const next = Buffer.concat([Buffer.from([1, 2, 3]), bytesOf([keyOn(3)])]);
    const result = run([packet(broken), packet(next, 3)]);
    assert.deepEqual(result.events, [keyOn(1), keyOn(3)]);
    assert.deepEqual(result.rejected, ['bad event length']);
  });

  test('memory: the largest event, one byte per packet, never holds more than one event', () => {
    const largest = Buffer.alloc(MAX_EVENT_BYTES, 0x55);
    largest.writeUInt16BE(0xffff, 0);
    largest[2] = 0x7f; // an unknown type: skipped once whole
    let state = initialStreamParser();
    let most = 0;
    const rejected: string[] = [];
    const whole = Buffer.concat([largest, bytesOf([keyOn(9)])]);
    const events: MidiEvent[] = [];
    for (let at = 0; at < whole.length; at += 997) {
      const step = feedPacket(state, packet(whole.subarray(at, at + 997)), false);
      state = step.state;
      most = Math.max(most, state.partial.length);
      rejected.push(...step.rejected);
      events.push(...step.events);
    }
    assert.ok(most <= MAX_PARTIAL_BYTES && most > 60_000, `held ${most} bytes`);
    assert.deepEqual(rejected, ['unknown event type 127']);
    assert.deepEqual(events, [keyOn(9)]);
  });

  test('is a pure fold: feeding the same state twice gives the same step', () => {
    const half = run([packet(stream.subarray(0, 15))]).state;
    const held = Buffer.from(half.partial).toString('hex');
    const rest = packet(stream.subarray(15));
    const once = feedPacket(half, rest, false);
    const twice = feedPacket(half, rest, false);
    assert.deepEqual(once, twice);
    assert.equal(once.events.length, 3);
    assert.equal(Buffer.from(half.partial).toString('hex'), held);
  });
});
