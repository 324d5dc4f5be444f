/**
 * Hostile input (SPEC §10): random datagrams and golden packets with bits
 * flipped, cut short, lengthened, spliced or with counts that lie, into
 * decodePacket and the stream parser. Nothing throws; every datagram is
 * counted as decoded or rejected; every event that comes out is a valid
 * event (it encodes and decodes back to itself); the parser's state stays
 * bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import type { MidiEvent } from '../../src/model/event.js';
import { decodePacket, encodePacket } from '../../src/wire/codec.js';
import { decodeEvent, encodeEvent } from '../../src/wire/event-codec.js';
import type { MidiPacket } from '../../src/wire/packet.js';
import { packetize } from '../../src/wire/packetizer.js';
import { feedPacket, initialStreamParser, MAX_PARTIAL_BYTES } from '../../src/wire/stream-parser.js';
import { arbitraryEvent } from './arbitraries.js';
import { capturedPackets } from './golden.js';

/** Golden packets from the original, plus msinet continuations that cut events mid-way. */
const SEEDS: Uint8Array[] = (() => {
  const captured = [...capturedPackets('lan'), ...capturedPackets('wan')].map((p) => p.bytes);
  const unique = [...new Map(captured.map((b) => [b.toString('hex').slice(0, 12), b])).values()];
  const events = fc.sample(arbitraryEvent({ maxDataLength: 200 }), { numRuns: 60, seed: 7 });
  const continued = packetize(events, { firstSerial: 1, date: 99, maxEventBytes: 300 }).map((p) =>
    encodePacket(p),
  );
  return [...unique, ...continued];
})();

type Mutation = (bytes: Buffer) => fc.Arbitrary<Buffer>;

const flipBits: Mutation = (bytes) =>
  fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((positions) => {
    const copy = Buffer.from(bytes);
    for (const p of positions) copy[(p >> 3) % copy.length]! ^= 1 << (p & 7);
    return copy;
  });
const truncate: Mutation = (bytes) => fc.nat({ max: bytes.length }).map((n) => bytes.subarray(0, n));
const extend: Mutation = (bytes) =>
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((tail) => Buffer.concat([bytes, tail]));
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
const splice: Mutation = (bytes) =>
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.nat())
    .map(([other, cut, from]) =>
      Buffer.concat([bytes.subarray(0, cut % (bytes.length + 1)), other.subarray(from % (other.length + 1))]),
    );

const mutated = fc
  .tuple(fc.constantFrom(...SEEDS), fc.constantFrom(flipBits, truncate, extend, lie, scribble, splice))
  .chain(([seed, mutation]) => mutation(Buffer.from(seed)));
const random = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  // A valid common header with anything after it reaches the type-specific checks.
  fc
    .tuple(fc.integer({ min: 0, max: 9 }), fc.uint8Array({ maxLength: 80 }))
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

test('fuzz: 100,000+ random and mutated datagrams, all accounted for, memory bounded', () => {
  const counts = { inputs: 0, decoded: 0, rejected: 0, events: 0, eventsRejected: 0 };
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
          const result = decodePacket(bytes);
          if (!result.ok) {
            counts.rejected += 1;
            reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
            return;
          }
          counts.decoded += 1;
          if (result.value.kind !== 'midi') return;
          const packet: MidiPacket = result.value;
          for (const [which, state] of [
            ['fresh', fresh],
            ['long', longLived],
          ] as const) {
            const step = feedPacket(state, packet, gaps[i] ?? false);
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
    { numRuns: 50_000 },
  );

  assert.ok(counts.inputs >= 100_000, `${counts.inputs} datagrams`);
  assert.equal(counts.decoded + counts.rejected, counts.inputs);
  // The mix reaches both sides and the parser's own checks, not only the header's.
  assert.ok(
    counts.decoded > counts.inputs / 20 && counts.rejected > counts.inputs / 20,
    JSON.stringify(counts),
  );
  assert.ok(counts.events > 10_000 && counts.eventsRejected > 1_000, JSON.stringify(counts));
  for (const reason of [
    'bad magic',
    'truncated header',
    'count exceeds length',
    'count short of length',
    'bad offset',
  ]) {
    assert.ok(reasons.has(reason), `never rejected for '${reason}': ${JSON.stringify([...reasons])}`);
  }
});
