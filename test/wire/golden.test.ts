/**
 * Golden vectors: what the original msInetDriver put on the wire, decoded,
 * compared field by field with what the receiving original delivered, and
 * encoded again to the same bytes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE_CODES, type MidiEvent } from '../../src/model/event.js';
import { decodePacket, encodePacket, ORIGINAL_TCP_BYE_SIZE } from '../../src/wire/codec.js';
import { encodeEvent } from '../../src/wire/event-codec.js';
import { fromMidiShareFields, midiShareFields } from '../../src/wire/midishare-fields.js';
import { packetize } from '../../src/wire/packetizer.js';
import type { MidiPacket, Packet } from '../../src/wire/packet.js';
import { LAN_MAX_EVENT_BYTES, WAN_MAX_EVENT_BYTES } from '../../src/wire/packet.js';
import { feedPacket, initialStreamParser } from '../../src/wire/stream-parser.js';
import { capturedPackets, receivedConnectionReport, receivedEvents, type CapturedPacket } from './golden.js';

const SENDER = '10.66.0.1:4950';
const BROADCAST = '10.66.0.255:4950';

function decoded(captured: CapturedPacket): Packet {
  const result = decodePacket(captured.bytes);
  assert.ok(result.ok, `${captured.bytes.toString('hex')}: ${result.ok ? '' : result.reason}`);
  return result.value;
}

function midi(captured: CapturedPacket): MidiPacket {
  const packet = decoded(captured);
  assert.equal(packet.kind, 'midi');
  return packet;
}

function eventsOf(packets: MidiPacket[]): MidiEvent[] {
  let state = initialStreamParser();
  const events: MidiEvent[] = [];
  for (const packet of packets) {
    const step = feedPacket(state, packet, false);
    assert.deepEqual(step.rejected, []);
    events.push(...step.events);
    state = step.state;
  }
  assert.equal(state.partial.length, 0, 'the stream ends on an event boundary');
  return events;
}

/** What the original's receiver prints for an event: its type code, port, channel and MidiShare fields. */
const asReceived = (e: MidiEvent) => ({
  type: TYPE_CODES[e.type],
  port: e.port,
  chan: e.chan,
  fields: midiShareFields(e),
});

function withoutDate(e: MidiEvent): MidiEvent {
  const { date: _date, ...rest } = e;
  return rest as MidiEvent;
}

describe('golden captures of the original', () => {
  for (const mode of ['lan', 'wan'] as const) {
    test(`${mode}: every captured packet decodes`, () => {
      const kinds = capturedPackets(mode).map((p) => decoded(p).kind);
      const expected = mode === 'lan' ? ['hostId', 'midi', 'bye'] : ['hostId', 'midi', 'tcpBye'];
      assert.deepEqual([...new Set(kinds)].sort(), expected.sort());
    });

    test(`${mode}: HostIDs carry the host name, the sender clock and nothing after the NUL`, () => {
      const ids = capturedPackets(mode).flatMap((p) => {
        const packet = decoded(p);
        return packet.kind === 'hostId' ? [{ src: p.src.split(':')[0], packet }] : [];
      });
      assert.ok(ids.length > 10);
      for (const { src, packet } of ids) {
        assert.equal(packet.name, src === '10.66.0.1' ? 'hostA' : 'hostB');
        assert.equal(packet.extra.length, 0);
      }
      for (const station of ['10.66.0.1', '10.66.0.2']) {
        const clocks = ids.filter((id) => id.src === station).map((id) => id.packet.clock);
        assert.ok(
          clocks.every((clock, i) => i === 0 || clock > clocks[i - 1]!),
          `${station}'s clock runs forward`,
        );
      }
      if (mode === 'lan') assert.equal(ids.find((id) => id.src === '10.66.0.1')?.packet.clock, 2);
    });

    test(`${mode}: every packet but the TCPBye encodes back to the original's bytes`, () => {
      for (const captured of capturedPackets(mode)) {
        const packet = decoded(captured);
        if (packet.kind === 'tcpBye') continue;
        assert.equal(encodePacket(packet).toString('hex'), captured.bytes.toString('hex'));
      }
    });

    test(`${mode}: every event has the relative date -1 (ffff), as sent "now"`, () => {
      const midiPackets = capturedPackets(mode).flatMap((p) => (decoded(p).kind === 'midi' ? [midi(p)] : []));
      const dates = new Set(eventsOf(midiPackets).map((e) => e.date));
      assert.deepEqual([...dates], [-1]);
    });

    test(`${mode}: each event and the whole burst re-encode to the original's bytes`, () => {
      for (const captured of capturedPackets(mode)) {
        if (decoded(captured).kind !== 'midi') continue;
        const packet = midi(captured);
        const events = eventsOf([packet]);
        const concatenated = Buffer.concat(events.map((e) => encodeEvent(e, e.date ?? 0)));
        assert.equal(concatenated.toString('hex'), Buffer.from(packet.events).toString('hex'));
        const limit = mode === 'lan' ? LAN_MAX_EVENT_BYTES : WAN_MAX_EVENT_BYTES;
        const again = packetize(events, {
          firstSerial: packet.serial,
          date: packet.date,
          maxEventBytes: limit,
        });
        assert.deepEqual(
          again.map((p) => encodePacket(p).toString('hex')),
          [captured.bytes.toString('hex')],
        );
      }
    });
  }

  test('lan: the unicast stream carries the 33 events the receiver delivered, field by field', () => {
    const unicast = capturedPackets('lan').filter((p) => p.src === SENDER && p.dst === '10.66.0.2:4950');
    const events = eventsOf(unicast.map(midi));
    const received = receivedEvents('lan');
    assert.equal(received.length, 33);
    assert.deepEqual(events.map(asReceived), received);
  });

  test('lan: port-255 events travel as a second stream to the broadcast address, serials of its own', () => {
    const broadcastMidi = capturedPackets('lan').filter(
      (p) => p.src === SENDER && p.dst === BROADCAST && decoded(p).kind === 'midi',
    );
    assert.equal(broadcastMidi.length, 1);
    const packet = midi(broadcastMidi[0]!);
    assert.equal(packet.serial, 1);
    assert.deepEqual(eventsOf([packet]), [
      { type: 'note', date: -1, port: 255, chan: 0, pitch: 61, vel: 90, dur: 250 },
    ]);
    // The original's own receiver drops them as duplicates of the main stream.
    assert.ok(receivedEvents('lan').every((e) => e.port !== 255));
  });

  test('wan: UDP and TCP streams together carry the 34 events delivered; port 255 rides TCP', () => {
    const packets = capturedPackets('wan').filter((p) => decoded(p).kind === 'midi');
    const udp = eventsOf(packets.filter((p) => p.proto === 'udp').map(midi));
    const tcp = eventsOf(packets.filter((p) => p.proto === 'tcp').map(midi));
    assert.ok(tcp.every((e) => e.port === 255) && tcp.length === 1);
    assert.deepEqual([...udp, ...tcp].map(asReceived), receivedEvents('wan'));
  });

  test('received fields map back to the decoded events', () => {
    const unicast = capturedPackets('lan').filter((p) => p.src === SENDER && p.dst === '10.66.0.2:4950');
    const events = eventsOf(unicast.map(midi));
    const fromFields = receivedEvents('lan').map((r) => {
      const event = fromMidiShareFields(r.type, r.port, r.chan, r.fields);
      assert.ok(event.ok);
      return event.value;
    });
    assert.deepEqual(fromFields, events.map(withoutDate));
  });

  test('field order: Ctrl14b sends its value first; field 0 (ctrl) is the controller number', () => {
    const event = eventsOf([midi(capturedPackets('lan').find((p) => p.dst === '10.66.0.2:4950')!)]);
    const byType = (type: MidiEvent['type']) => event.find((e) => e.type === type);
    assert.deepEqual(byType('ctrl14b'), {
      type: 'ctrl14b',
      date: -1,
      port: 1,
      chan: 6,
      ctrl: 1000,
      value: 7,
    });
    assert.deepEqual(byType('nonRegParam'), {
      type: 'nonRegParam',
      date: -1,
      port: 1,
      chan: 7,
      ctrl: 300,
      value: 99,
    });
    assert.deepEqual(byType('pitchWheel'), { type: 'pitchWheel', date: -1, port: 0, chan: 5, value: 8192 });
    assert.deepEqual(byType('keySign'), { type: 'keySign', date: -1, port: 0, chan: 0, data: [0xfe, 1] });
    assert.deepEqual(byType('smpteOffset'), {
      type: 'smpteOffset',
      date: -1,
      port: 0,
      chan: 0,
      data: [0, 0x40, 0x0c, 2],
    });
    assert.deepEqual(byType('textual'), { type: 'textual', date: -1, port: 0, chan: 0, text: 'hi' });
    assert.deepEqual(byType('tempo'), { type: 'tempo', date: -1, port: 0, chan: 0, value: 500_000 });
  });

  test("wan: the original's 14-byte TCPBye decodes to the report its receiver logged", () => {
    const bye = capturedPackets('wan').find((p) => decoded(p).kind === 'tcpBye')!;
    assert.equal(bye.bytes.length, ORIGINAL_TCP_BYE_SIZE);
    assert.deepEqual(decoded(bye), { kind: 'tcpBye', ...receivedConnectionReport('wan') });
    const ours = encodePacket(decoded(bye));
    assert.equal(ours.length, 16);
    assert.equal(ours.subarray(0, 10).toString('hex'), bye.bytes.subarray(0, 10).toString('hex'));
  });
});
