/**
 * Hostile datagrams (SPEC §10) into decodePacket and the stream parser, the
 * path every UDP datagram takes into the driver.
 *
 * Seeds: every distinct packet the original put on the wire (the LAN and WAN
 * captures, deduplicated on the whole payload), and packets msinet itself
 * makes that the original never does: fine-dated Midi packets (type 8),
 * continuations that cut events mid-way, a HostID with capabilities, and
 * Midi packets filled to the LAN and WAN maxima (16-byte header + 1,468 or
 * 480 event bytes). Each is mutated — bits flipped, cut short, lengthened,
 * counts and offsets that lie, event bytes scribbled over, spliced with
 * another — or replaced by random bytes of any length up to past the LAN
 * maximum, with or without a valid header.
 *
 * Nothing throws; every datagram is counted as decoded or rejected; a decoded
 * packet encodes back to the bytes it came from; every event that comes out
 * of the parser is a valid event (it encodes and decodes back to itself);
 * the parser's state stays bounded.
 *
 * Each run tries 60,000 cases of 2–3 datagrams: about 150,000 datagrams, each
 * fed to a fresh parser and to one long-lived parser (the exact count is
 * asserted and printed as a diagnostic). The seed is fixed (test/harness/fuzz.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import type { MidiEvent } from '../../src/model/event.js';
import { decodeCapabilities, encodeCapabilities } from '../../src/wire/capabilities.js';
import { decodePacket, encodePacket, TCP_BYE_SIZE } from '../../src/wire/codec.js';
import { decodeEvent, encodeEvent } from '../../src/wire/event-codec.js';
import { fineMaxEventBytes } from '../../src/wire/fine-dates.js';
import {
  LAN_MAX_EVENT_BYTES,
  MIDI_HEADER_SIZE,
  WAN_MAX_EVENT_BYTES,
  type MidiPacket,
} from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import { feedPacket, initialStreamParser, MAX_PARTIAL_BYTES } from '../../src/wire/stream-parser.js';
import { bytesUpTo, fuzzParameters } from '../harness/fuzz.js';
import { arbitraryEvent } from './arbitraries.js';
import { capturedPackets } from './golden.js';

const RUNS = 60_000;
const LAN_MAX_DATAGRAM = MIDI_HEADER_SIZE + LAN_MAX_EVENT_BYTES;
const WAN_MAX_DATAGRAM = MIDI_HEADER_SIZE + WAN_MAX_EVENT_BYTES;

/** Every distinct captured payload, LAN and WAN, UDP datagrams and TCP segments alike. */
const CAPTURED: Buffer[] = (() => {
  const all = [...capturedPackets('lan'), ...capturedPackets('wan')].map((p) => p.bytes);
  return [...new Map(all.map((bytes) => [bytes.toString('hex'), bytes])).values()];
})();

/** What msinet sends that no original does, made by msinet's own encoder. */
const MSINET_MADE: Buffer[] = (() => {
  // Events with sub-ms dates, so the fine trailers say something; big ones, so groups span packets.
  const events = fc.sample(
    arbitraryEvent({ maxDataLength: 200, date: fc.double({ min: -200, max: 200, noNaN: true }) }),
    { numRuns: 600, seed: 7 },
  );
  const group = (maxEventBytes: number, fine: boolean, date: number) =>
    packetize(events, { firstSerial: 1, date, maxEventBytes, fine }).map((p) => encodePacket(p));
  return [
    ...group(LAN_MAX_EVENT_BYTES, false, 1000), // full LAN packets and their continuations
    ...group(WAN_MAX_EVENT_BYTES, false, 2000), // full WAN packets
    ...group(fineMaxEventBytes(LAN_MAX_EVENT_BYTES), true, 3000.3), // fine-dated, LAN
    ...group(fineMaxEventBytes(WAN_MAX_EVENT_BYTES), true, 4000.7), // fine-dated, WAN
    ...group(300, true, 99.25), // fine-dated, cut often
    encodePacket({
      kind: 'hostId',
      clock: 123456,
      name: 'msinet-host',
      extra: encodeCapabilities({ fineDates: { clockFraction: 0.25 } }),
    }),
    encodePacket({ kind: 'echo', payload: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }),
    encodePacket({ kind: 'tcpBye', version: 100, maxLat: 1500, late: 3, missing: 70000 }),
    encodePacket({ kind: 'tcpCnxRefused', reason: 1 }),
  ];
})();

const SEEDS: Buffer[] = [...CAPTURED, ...MSINET_MADE];

test('the seeds: every distinct capture, fine-dated packets, and packets at the LAN and WAN maxima', () => {
  assert.equal(CAPTURED.length, 264, 'every distinct captured payload (a prefix would leave 4)');
  const decoded = SEEDS.map((bytes) => decodePacket(bytes));
  assert.ok(
    decoded.every((d) => d.ok),
    'every seed is a valid packet',
  );
  const fineDated = decoded.filter((d) => d.ok && d.value.kind === 'midi' && d.value.fine).length;
  assert.ok(fineDated >= 20, `${fineDated} fine-dated packets`);
  const sizes = new Set(SEEDS.map((b) => b.length));
  for (const size of [LAN_MAX_DATAGRAM, WAN_MAX_DATAGRAM]) assert.ok(sizes.has(size), `a ${size}-byte seed`);
});

type Mutation = (bytes: Buffer) => fc.Arbitrary<Buffer>;

const flipBits: Mutation = (bytes) =>
  fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((positions) => {
    const copy = Buffer.from(bytes);
    for (const p of positions) copy[(p >> 3) % copy.length]! ^= 1 << (p & 7);
    return copy;
  });
const truncate: Mutation = (bytes) => fc.nat({ max: bytes.length }).map((n) => bytes.subarray(0, n));
/** Lengthened a little (a trailer that is not one), or up to past the LAN maximum. */
const extend: Mutation = (bytes) =>
  fc
    .oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      bytesUpTo(Math.max(1, LAN_MAX_DATAGRAM + 16 - bytes.length)),
    )
    .map((tail) => Buffer.concat([bytes, tail.length > 0 ? tail : Buffer.from([0])]));
/** A Midi header's count (bytes 12–13) or offset (14–15) that says anything. */
const lie: Mutation = (bytes) =>
  fc.tuple(fc.constantFrom(12, 14), fc.integer({ min: 0, max: 0xffff })).map(([at, value]) => {
    const copy = Buffer.from(
      bytes.length >= 16 ? bytes : Buffer.concat([bytes, Buffer.alloc(16 - bytes.length)]),
    );
    copy.writeUInt16BE(value, at);
    return copy;
  });
/** Event bytes that say anything: len, type and payload overwritten at random places. */
const scribble: Mutation = (bytes) =>
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
    .map((writes) => {
      const copy = Buffer.from(bytes);
      for (const [at, value] of writes) copy[16 + (at % Math.max(1, copy.length - 16))] = value;
      return copy;
    });
/** A packet type turned into another (a Midi packet read as fine-dated, a fine one as plain…). */
const retype: Mutation = (bytes) =>
  fc.integer({ min: 0, max: 10 }).map((type) => {
    const copy = Buffer.from(bytes);
    if (copy.length > 3) copy[3] = type;
    return copy;
  });
const splice: Mutation = (bytes) =>
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.nat())
    .map(([other, cut, from]) =>
      Buffer.concat([bytes.subarray(0, cut % (bytes.length + 1)), other.subarray(from % (other.length + 1))]),
    );

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.constantFrom(flipBits, truncate, extend, lie, scribble, retype, splice),
  )
  .chain(([seed, mutation]) => mutation(Buffer.from(seed)));
const random = fc.oneof(
  bytesUpTo(LAN_MAX_DATAGRAM + 16).map((b) => Buffer.from(b)),
  // A valid common header with anything after it reaches the type-specific checks.
  fc
    .tuple(fc.integer({ min: 0, max: 9 }), bytesUpTo(LAN_MAX_DATAGRAM))
    .map(([type, body]) => Buffer.concat([Buffer.from([0x10, 0x01, 0x01, type]), body])),
);
const datagram = fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: random, weight: 1 });

/** An event that comes out of the parser is one msinet could have sent: it survives its own round trip. */
function assertValid(e: MidiEvent) {
  const bytes = encodeEvent(e, e.date ?? 0);
  const again = decodeEvent(bytes, 0);
  assert.ok(again.ok, `${JSON.stringify(e)} does not decode: ${again.ok ? '' : again.reason}`);
  assert.equal(
    encodeEvent(again.value.event, again.value.event.date ?? 0).toString('hex'),
    bytes.toString('hex'),
  );
}

/** Kinds whose bytes are canonical: decoding then encoding gives them back (a HostID's name is text, an original TCPBye 14 bytes). */
const CANONICAL = new Set(['midi', 'bye', 'echo', 'echoReply', 'tcpCnxRefused']);
/** A 16-byte TCPBye is canonical but for its 2 padding bytes (10–11), which the original leaves uninitialised. */
const withoutPadding = (bytes: Buffer) =>
  Buffer.concat([bytes.subarray(0, 10), Buffer.alloc(2), bytes.subarray(12)]);

test('fuzz: about 150,000 random and mutated datagrams, all accounted for, memory bounded', (t) => {
  const counts = {
    inputs: 0,
    decoded: 0,
    rejected: 0,
    fineDecoded: 0,
    atLanMax: 0,
    overLanMax: 0,
    events: 0,
    eventsRejected: 0,
  };
  const reasons = new Map<string, number>();
  /** One parser for the whole run, as a long-lived stream would see it. */
  let longLived = initialStreamParser();

  fc.assert(
    fc.property(
      fc.array(datagram, { minLength: 2, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      (datagrams, gaps) => {
        let fresh = initialStreamParser();
        datagrams.forEach((bytes, i) => {
          counts.inputs += 1;
          if (bytes.length === LAN_MAX_DATAGRAM) counts.atLanMax += 1;
          if (bytes.length > LAN_MAX_DATAGRAM) counts.overLanMax += 1;
          const result = decodePacket(bytes);
          if (!result.ok) {
            counts.rejected += 1;
            reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
            return;
          }
          counts.decoded += 1;
          const packet = result.value;
          if (CANONICAL.has(packet.kind)) {
            assert.equal(encodePacket(packet).toString('hex'), bytes.toString('hex'), 'decodes canonically');
          }
          if (packet.kind === 'tcpBye' && bytes.length === TCP_BYE_SIZE) {
            assert.equal(encodePacket(packet).toString('hex'), withoutPadding(bytes).toString('hex'));
          }
          if (packet.kind === 'hostId') decodeCapabilities(packet.extra); // never throws
          if (packet.kind !== 'midi') return;
          if (packet.fine) counts.fineDecoded += 1;
          const midi: MidiPacket = packet;
          for (const [which, state] of [
            ['fresh', fresh],
            ['long', longLived],
          ] as const) {
            const step = feedPacket(state, midi, gaps[i] ?? false);
            assert.ok(step.state.partial.length <= MAX_PARTIAL_BYTES);
            step.events.forEach(assertValid);
            counts.events += step.events.length;
            counts.eventsRejected += step.rejected.length;
            if (which === 'fresh') fresh = step.state;
            else longLived = step.state;
          }
        });
      },
    ),
    fuzzParameters(RUNS),
  );

  t.diagnostic(`${JSON.stringify(counts)}; rejected for ${reasons.size} reasons`);
  assert.ok(counts.inputs >= 2 * RUNS, `${counts.inputs} datagrams`);
  assert.equal(counts.decoded + counts.rejected, counts.inputs);
  // The mix reaches both sides and the parser's own checks, not only the header's.
  assert.ok(
    counts.decoded > counts.inputs / 20 && counts.rejected > counts.inputs / 20,
    JSON.stringify(counts),
  );
  assert.ok(counts.events > 10_000 && counts.eventsRejected > 1_000, JSON.stringify(counts));
  assert.ok(counts.fineDecoded > 1_000, `fine-dated packets reach the parser: ${JSON.stringify(counts)}`);
  assert.ok(counts.atLanMax > 100 && counts.overLanMax > 100, `sizes at and past the LAN maximum`);
  for (const reason of [
    'bad magic',
    'truncated header',
    'count exceeds length',
    'count short of length',
    'bad offset',
    'no fine dates',
    'too many fine dates',
  ]) {
    assert.ok(reasons.has(reason), `never rejected for '${reason}': ${JSON.stringify([...reasons])}`);
  }
});
