import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { encodePacket, MAX_MIDI_COUNT } from '../../src/wire/codec.js';
import type { Packet } from '../../src/wire/packet.js';
import { feedTcp, initialTcpFramer, type TcpFramerState } from '../../src/wire/tcp-framer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Feeds the chunks in order and gathers what comes out. */
function frame(chunks: Uint8Array[], from: TcpFramerState = initialTcpFramer()) {
  let state = from;
  const packets: string[] = [];
  const errors: string[] = [];
  for (const chunk of chunks) {
    const fed = feedTcp(state, chunk);
    state = fed.state;
    packets.push(...fed.packets.map(toHex));
    if (fed.error !== undefined) errors.push(fed.error);
  }
  return { state, packets, errors };
}

/** Cuts `bytes` at the given positions (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...at, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : at[i - 1], end));
}

const midi = (serial: number, events: Uint8Array): Packet => ({
  kind: 'midi',
  serial,
  date: serial,
  offset: 0,
  events,
});

const framable: fc.Arbitrary<Packet> = fc.oneof(
  fc
    .record({ serial: fc.nat(), events: fc.uint8Array({ maxLength: 600 }) })
    .map(({ serial, events }) => midi(serial, events)),
  fc.constant<Packet>({ kind: 'bye' }),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((payload): Packet => ({ kind: 'echo', payload })),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((payload): Packet => ({ kind: 'echoReply', payload })),
  fc.integer({ min: 1, max: 3 }).map((reason): Packet => ({ kind: 'tcpCnxRefused', reason })),
);

const tcpBye16 = encodePacket({ kind: 'tcpBye', version: 100, maxLat: 1500, late: 1, missing: 0x00020003 });
const tcpBye14 = hex('1001 01 06 0064 05dc 0000 5656 0000');

describe('TCP framer', () => {
  test('reassembles any packets from any split and coalescing of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(framable, { maxLength: 12 }),
        fc.constantFrom(undefined, tcpBye16, tcpBye14),
        fc.array(fc.nat(), { maxLength: 30 }),
        (packets, bye, cuts) => {
          const frames = [...packets.map((p) => encodePacket(p)), ...(bye === undefined ? [] : [bye])];
          const stream = Buffer.concat(frames);
          const result = frame(split(stream, cuts));
          // A 16-byte TCPBye cut after its 14th or 15th byte is framed as the 14-byte form (tcp-framer.ts).
          const cutAt = new Set(cuts.map((c) => c % (stream.length + 1)));
          const cutInByeTail =
            bye === tcpBye16 && (cutAt.has(stream.length - 1) || cutAt.has(stream.length - 2));
          const expected = cutInByeTail ? [...frames.slice(0, -1), tcpBye16.subarray(0, 14)] : frames;
          assert.deepEqual(result.packets, expected.map(toHex));
          assert.deepEqual(result.errors, []);
          assert.equal(result.state.pendingLength, 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("the original's 14-byte TCPBye is framed once 14 bytes are there, even split", () => {
    assert.deepEqual(frame([tcpBye14.subarray(0, 13), tcpBye14.subarray(13)]).packets, [toHex(tcpBye14)]);
  });

  test('a 16-byte TCPBye split after its 14th byte reads as the 14-byte form (documented limit)', () => {
    assert.deepEqual(frame([tcpBye16.subarray(0, 14), tcpBye16.subarray(14)]).packets, [
      toHex(tcpBye16.subarray(0, 14)),
    ]);
    assert.deepEqual(frame([tcpBye16.subarray(0, 13), tcpBye16.subarray(13)]).packets, [toHex(tcpBye16)]);
  });

  test('after a TCPBye the peer is gone: later bytes are ignored', () => {
    const after = Buffer.concat([tcpBye16, encodePacket({ kind: 'bye' }), hex('ffff')]);
    const result = frame([after]);
    assert.deepEqual(result.packets, [toHex(tcpBye16)]);
    assert.deepEqual(result.errors, []);
    assert.ok(result.state.ended);
    assert.deepEqual(frame([hex('1001 01 02')], result.state).packets, []);
  });

  const broken: [string, string, string][] = [
    ['bad magic', '2001 01 02', 'bad magic'],
    ['bad version', '1001 07 02', 'bad version 7'],
    ['a HostID (its length is unknowable on a stream)', '1001 01 01 00000001 6100', 'unframeable type 1'],
    ['an unknown type', '1001 01 2a', 'unknown type 42'],
    ['a negative count', '1001 01 05 00000001 00000001 ff00 0000', 'negative count'],
  ];
  for (const [name, bytes, reason] of broken) {
    test(`${name}: '${reason}' once, the packets before it delivered, everything after ignored`, () => {
      const before = encodePacket({ kind: 'bye' });
      const result = frame([Buffer.concat([before, hex(bytes)]), encodePacket({ kind: 'bye' })]);
      assert.deepEqual(result.packets, [toHex(before)]);
      assert.deepEqual(result.errors, [reason]);
      assert.equal(result.state.failed, reason);
      assert.equal(result.state.pendingLength, 0);
    });
  }

  test('memory: the largest frame, one byte per read, holds less than one frame', () => {
    const largest = encodePacket(midi(1, new Uint8Array(MAX_MIDI_COUNT).fill(7)));
    let state = initialTcpFramer();
    let most = 0;
    const packets: Uint8Array[] = [];
    for (let i = 0; i < largest.length; i++) {
      const fed = feedTcp(state, largest.subarray(i, i + 1));
      state = fed.state;
      most = Math.max(most, state.pendingLength);
      packets.push(...fed.packets);
    }
    assert.equal(most, largest.length - 1);
    assert.equal(packets.length, 1);
    assert.equal(toHex(packets[0]!), toHex(largest));
  });

  test('is a pure fold: a state fed twice gives the same packets', () => {
    const bytes = encodePacket(midi(3, hex('0007 01 0000 00 00 3c64')));
    const half = frame([bytes.subarray(0, 10)]).state;
    assert.deepEqual(frame([bytes.subarray(10)], half).packets, [toHex(bytes)]);
    assert.deepEqual(frame([bytes.subarray(10)], half).packets, [toHex(bytes)]);
  });
});
