/**
 * Hostile byte streams into the TCP framer (src/wire/tcp-framer.ts), the path
 * every byte of a port-255 TCP connection takes into the driver.
 *
 * - Valid frames — Midi packets of any size up to 2,000 event bytes, Bye,
 *   Echo, EchoReply, TCPCnxRefused, the original's captured TCP streams, a
 *   closing TCPBye of either form — split and merged at random points: the
 *   packets out are exactly the frames in.
 * - Garbage — random bytes, valid streams with bits flipped or cut short,
 *   random bytes after valid frames — read in random chunks: nothing throws;
 *   the packets out are the input's bytes, in order, none invented; each is
 *   as long as its own header says; an error comes at most once and nothing
 *   after it; the state never holds more than one unfinished frame; and how
 *   the stream was cut changes nothing (the same packets and error as from
 *   one whole read).
 *
 * Each run tries 5,000 split/merged streams of valid frames and 10,000
 * garbage streams, each garbage stream framed twice (whole and chunked).
 * The seed is fixed (test/harness/fuzz.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { encodePacket, MAX_MIDI_COUNT, ORIGINAL_TCP_BYE_SIZE, packetSize } from '../../src/wire/codec.js';
import { MIDI_HEADER_SIZE, PACKET_TYPES, type Packet } from '../../src/wire/packet.js';
import { feedTcp, initialTcpFramer } from '../../src/wire/tcp-framer.js';
import { bytesUpTo, fuzzParameters } from '../harness/fuzz.js';
import { capturedPackets } from './golden.js';

const VALID_RUNS = 5_000;
const GARBAGE_RUNS = 10_000;
/** One unfinished frame at most: the largest Midi frame less its last byte. */
const MAX_PENDING = MIDI_HEADER_SIZE + MAX_MIDI_COUNT - 1;

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Framed {
  packets: string[];
  errors: string[];
  mostPending: number;
}

/** Feeds the chunks in order; what came out, and the most the state ever held. */
function frame(chunks: readonly Uint8Array[]): Framed {
  let state = initialTcpFramer();
  const packets: string[] = [];
  const errors: string[] = [];
  let mostPending = 0;
  for (const chunk of chunks) {
    const fed = feedTcp(state, chunk);
    if (errors.length > 0) assert.deepEqual(fed.packets, [], 'nothing after an error');
    state = fed.state;
    packets.push(...fed.packets.map(toHex));
    if (fed.error !== undefined) errors.push(fed.error);
    mostPending = Math.max(mostPending, state.pendingLength);
  }
  return { packets, errors, mostPending };
}

/** `bytes` cut at these positions: the pieces a socket might hand over. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...at, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : at[i - 1], end));
}

const cuts = fc.oneof(
  fc.array(fc.nat(), { maxLength: 40 }),
  // Many small reads: every header split somewhere.
  fc.array(fc.nat(), { minLength: 100, maxLength: 400, size: 'max' }),
);

const midi = (serial: number, events: Uint8Array): Packet => ({
  kind: 'midi',
  serial,
  date: serial,
  offset: 0,
  events,
});

const framable: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ serial: fc.nat(), events: bytesUpTo(2_000) }).map(({ serial, events }) => midi(serial, events)),
  fc.constant<Packet>({ kind: 'bye' }),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((payload): Packet => ({ kind: 'echo', payload })),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((payload): Packet => ({ kind: 'echoReply', payload })),
  fc.integer({ min: 1, max: 3 }).map((reason): Packet => ({ kind: 'tcpCnxRefused', reason })),
);

const tcpBye16 = encodePacket({ kind: 'tcpBye', version: 100, maxLat: 1500, late: 1, missing: 0x00020003 });
const tcpBye14 = Buffer.from('10010106006405dc00005656' + '0000', 'hex');

/** What the original sent over TCP in the WAN capture, per direction, in order: valid streams. */
const CAPTURED_STREAMS: Buffer[] = (() => {
  const byDirection = new Map<string, Buffer[]>();
  for (const p of capturedPackets('wan').filter((c) => c.proto === 'tcp')) {
    const key = `${p.src}>${p.dst}`;
    byDirection.set(key, [...(byDirection.get(key) ?? []), p.bytes]);
  }
  return [...byDirection.values()].map((segments) => Buffer.concat(segments));
})();

describe('TCP framer fuzz', () => {
  test('the captured TCP streams of the original frame whole, however they are cut', () => {
    assert.ok(CAPTURED_STREAMS.length >= 1, 'the WAN capture has TCP');
    fc.assert(
      fc.property(fc.constantFrom(...CAPTURED_STREAMS), cuts, (stream, at) => {
        const whole = frame([stream]);
        assert.deepEqual(whole.errors, []);
        assert.equal(whole.packets.join(''), toHex(stream), 'every byte framed');
        assert.deepEqual(frame(split(stream, at)).packets, whole.packets);
      }),
      fuzzParameters(500),
    );
  });

  test('valid frames split and merged at random points come out exactly as they went in', () => {
    fc.assert(
      fc.property(
        fc.array(framable, { maxLength: 16 }),
        fc.constantFrom(undefined, tcpBye16, tcpBye14),
        cuts,
        (packets, bye, at) => {
          const frames = [...packets.map((p) => encodePacket(p)), ...(bye === undefined ? [] : [bye])];
          const stream = Buffer.concat(frames);
          const result = frame(split(stream, at));
          // A 16-byte TCPBye cut after its 14th or 15th byte is framed as the 14-byte form (tcp-framer.ts).
          const cutAt = new Set(at.map((c) => c % (stream.length + 1)));
          const cutInByeTail =
            bye === tcpBye16 && (cutAt.has(stream.length - 1) || cutAt.has(stream.length - 2));
          const expected = cutInByeTail ? [...frames.slice(0, -1), tcpBye16.subarray(0, 14)] : frames;
          assert.deepEqual(result.packets, expected.map(toHex));
          assert.deepEqual(result.errors, []);
          assert.ok(result.mostPending <= MAX_PENDING);
        },
      ),
      fuzzParameters(VALID_RUNS),
    );
  });

  const validStream = fc
    .array(framable, { minLength: 1, maxLength: 8 })
    .map((packets) => Buffer.concat(packets.map((p) => encodePacket(p))));
  const garbage: fc.Arbitrary<Buffer> = fc.oneof(
    bytesUpTo(3_000).map((b) => Buffer.from(b)),
    // A valid header start, so the type and count checks are reached.
    fc
      .tuple(fc.integer({ min: 0, max: 10 }), bytesUpTo(3_000))
      .map(([type, rest]) => Buffer.concat([Buffer.from([0x10, 0x01, 0x01, type]), rest])),
    fc.tuple(validStream, fc.array(fc.nat(), { minLength: 1, maxLength: 8 })).map(([stream, flips]) => {
      const copy = Buffer.from(stream);
      for (const f of flips) copy[(f >> 3) % copy.length]! ^= 1 << (f & 7);
      return copy;
    }),
    fc.tuple(validStream, fc.nat()).map(([stream, n]) => stream.subarray(0, n % (stream.length + 1))),
    fc.tuple(validStream, bytesUpTo(500)).map(([stream, tail]) => Buffer.concat([stream, tail])),
  );

  test('garbage read in any chunks: nothing thrown or invented, an error at most once, memory bounded, cuts change nothing', () => {
    const seen = { streams: 0, errors: 0, packets: 0 };
    fc.assert(
      fc.property(garbage, cuts, (stream, at) => {
        seen.streams += 1;
        const whole = frame([stream]);
        const chunked = frame(split(stream, at));
        for (const result of [whole, chunked]) {
          assert.ok(result.errors.length <= 1, 'an error comes once');
          assert.ok(result.mostPending <= MAX_PENDING, `held ${result.mostPending} bytes`);
          // The packets are the stream's first bytes, in order, back to back.
          assert.ok(toHex(stream).startsWith(result.packets.join('')), 'no byte invented, none skipped');
          for (const hex of result.packets) {
            const bytes = Buffer.from(hex, 'hex');
            const size = packetSize(bytes);
            const isBye = bytes[3] === PACKET_TYPES.tcpBye;
            assert.ok(size.ok, 'a packet out has a framable header');
            const expected = isBye ? [ORIGINAL_TCP_BYE_SIZE, size.value] : [size.value];
            assert.ok(
              expected.includes(bytes.length),
              `a packet of ${bytes.length} bytes, header says ${size.value}`,
            );
          }
        }
        const byeCut = whole.packets.some((hex) => Buffer.from(hex, 'hex')[3] === PACKET_TYPES.tcpBye);
        if (!byeCut) {
          assert.deepEqual(chunked.packets, whole.packets, 'the cuts change no packet');
          assert.deepEqual(chunked.errors, whole.errors, 'the cuts change no error');
        }
        seen.errors += whole.errors.length;
        seen.packets += whole.packets.length;
      }),
      fuzzParameters(GARBAGE_RUNS),
    );
    // Both outcomes are reached: the framer is not simply refusing, nor accepting, everything.
    assert.ok(seen.errors > GARBAGE_RUNS / 10 && seen.packets > GARBAGE_RUNS / 10, JSON.stringify(seen));
  });
});
