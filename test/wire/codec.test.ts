import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { decodePacket, encodePacket, packetSize } from '../../src/wire/codec.js';
import type { Packet } from '../../src/wire/packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** Packet fields hold plain Uint8Arrays, as decodePacket makes them. */
const u8 = (s: string) => new Uint8Array(hex(s));
const reasonOf = (bytes: Uint8Array) => {
  const result = decodePacket(bytes);
  return result.ok ? `decoded ${result.value.kind}` : result.reason;
};

describe('encodePacket', () => {
  const cases: [string, Packet, string][] = [
    [
      'HostID (README example)',
      { kind: 'hostId', clock: 2, name: 'hostA', extra: new Uint8Array() },
      '1001 01 01 00000002 686f73744100',
    ],
    [
      'HostID with capabilities after the NUL',
      { kind: 'hostId', clock: 0xfffffffe, name: 'h', extra: u8('0102') },
      '1001 01 01 fffffffe 68 00 0102',
    ],
    ['Bye', { kind: 'bye' }, '1001 01 02'],
    ['Echo', { kind: 'echo', payload: u8('0102030405060708') }, '1001 01 03 0102030405060708'],
    ['EchoReply', { kind: 'echoReply', payload: u8('0102030405060708') }, '1001 01 04 0102030405060708'],
    [
      'Midi continuation',
      { kind: 'midi', serial: 7, date: 0, offset: 2, events: u8('3c64 0007') },
      '1001 01 05 00000007 00000000 0004 0002 3c640007',
    ],
    [
      'TCPBye, 16 bytes: padding zero and the whole missing count',
      { kind: 'tcpBye', version: 100, maxLat: 1500, late: 3, missing: 0x12345 },
      '1001 01 06 0064 05dc 0003 0000 00012345',
    ],
    ['TCPCnxRefused', { kind: 'tcpCnxRefused', reason: 2 }, '1001 01 07 0002'],
    [
      "Midi with fine dates (type 8): the group date's fraction, then each event's, in 1/256 ms",
      {
        kind: 'midi',
        serial: 7,
        date: 10,
        offset: 0,
        events: u8('0007 02 0003 00 00 3c40'),
        fine: { date: -0.5, events: [0.25] },
      },
      '1001 01 08 00000007 0000000a 0009 0000 0007020003 0000 3c40 80 40',
    ],
  ];
  for (const [name, packet, bytes] of cases) {
    test(name, () => {
      assert.equal(encodePacket(packet).toString('hex'), hex(bytes).toString('hex'));
      assert.deepEqual(decodePacket(encodePacket(packet)), { ok: true, value: packet });
    });
  }

  test('a host name ends at its first NUL: what follows cannot pose as capabilities', () => {
    const bytes = encodePacket({ kind: 'hostId', clock: 1, name: 'a\0b', extra: new Uint8Array() });
    assert.equal(bytes.toString('hex'), '100101010000000161' + '00');
  });

  test('a Midi packet longer than an i16 count is a caller bug', () => {
    const events = new Uint8Array(0x8000);
    assert.throws(() => encodePacket({ kind: 'midi', serial: 1, date: 1, offset: 0, events }), RangeError);
  });
});

describe('decodePacket', () => {
  test('host names: UTF-8 when valid, else Latin-1, never a throw', () => {
    const named = (name: string) => {
      const result = decodePacket(hex(`1001 01 01 00000001 ${name} 00`));
      return result.ok && result.value.kind === 'hostId' ? result.value.name : undefined;
    };
    assert.equal(named('c3a9'), 'é');
    assert.equal(named('e9'), 'é');
    assert.equal(named('ff fe'), 'ÿþ');
  });

  test("the original's 14-byte TCPBye: its last two bytes are the missing count's upper half", () => {
    assert.deepEqual(decodePacket(hex('1001 01 06 0064 05dc 0002 5656 0001')), {
      ok: true,
      value: { kind: 'tcpBye', version: 100, maxLat: 1500, late: 2, missing: 0x10000 },
    });
  });

  const failures: [string, string, string][] = [
    ['nothing', '', 'truncated header'],
    ['three bytes', '100101', 'truncated header'],
    ['bad magic', '1002 01 02', 'bad magic'],
    ['bad version', '1001 02 02', 'bad version 2'],
    ['unknown type', '1001 01 2a', 'unknown type 42'],
    ['type 0', '1001 01 00', 'unknown type 0'],
    ['HostID without its clock', '1001 01 01 0000', 'truncated hostId'],
    ['HostID without a NUL', '1001 01 01 00000001 6869', 'unterminated host name'],
    ['Bye with bytes after it', '1001 01 02 00', 'bad length for bye'],
    ['Echo too short', '1001 01 03 01020304', 'bad length for echo'],
    ['EchoReply too long', '1001 01 04 010203040506070809', 'bad length for echoReply'],
    ['Midi header cut', '1001 01 05 00000001 00000001 00', 'truncated midi'],
    ['count beyond the datagram', '1001 01 05 00000001 00000001 0005 0000 0007', 'count exceeds length'],
    ['count short of the datagram', '1001 01 05 00000001 00000001 0001 0000 0007', 'count short of length'],
    ['negative count', '1001 01 05 00000001 00000001 ffff 0000', 'negative count'],
    ['offset beyond count', '1001 01 05 00000001 00000000 0001 0002 07', 'bad offset'],
    ['negative offset', '1001 01 05 00000001 00000000 0001 ffff 07', 'bad offset'],
    ['TCPBye of 15 bytes', '1001 01 06 0064 05dc 0000 0000 0000 00', 'bad length for tcpBye'],
    ['TCPCnxRefused cut', '1001 01 07 00', 'bad length for tcpCnxRefused'],
    ['fine-dated Midi without its trailer', '1001 01 08 00000001 00000005 0001 0000 07', 'no fine dates'],
    [
      'fine-dated Midi with more fractions than events could begin',
      '1001 01 08 00000001 00000005 0001 0000 07 00 01 02',
      'too many fine dates',
    ],
  ];
  for (const [name, bytes, reason] of failures) {
    test(`${name}: '${reason}'`, () => assert.equal(reasonOf(hex(bytes)), reason));
  }

  test('decodes what it encoded, for any packet', () => {
    const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const i16 = fc.integer({ min: -0x8000, max: 0x7fff });
    const packet: fc.Arbitrary<Packet> = fc
      .oneof(
        fc.record({
          kind: fc.constant('hostId' as const),
          clock: u32,
          name: fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          extra: fc.uint8Array({ maxLength: 40 }),
        }),
        fc.constant({ kind: 'bye' as const }),
        fc.record({ kind: fc.constantFrom('echo' as const, 'echoReply' as const), payload: bytes(8) }),
        fc
          .record({ serial: u32, date: u32, events: fc.uint8Array({ maxLength: 1468 }), at: fc.nat() })
          .map(({ serial, date, events, at }) => ({
            kind: 'midi' as const,
            serial,
            date,
            events,
            offset: at % (events.length + 1),
          })),
        fc.record({
          kind: fc.constant('tcpBye' as const),
          version: i16,
          maxLat: i16,
          late: i16,
          missing: u32,
        }),
        fc.record({ kind: fc.constant('tcpCnxRefused' as const), reason: i16 }),
      )
      .map((p) => ({ ...p })); // fc.record makes null-prototype objects; decoded packets are plain ones
    fc.assert(
      fc.property(packet, (p) => {
        assert.deepEqual(decodePacket(encodePacket(p)), { ok: true, value: p });
      }),
    );
  });
});

describe('packetSize (framing a byte stream)', () => {
  const cases: [string, string, number | 'more' | string][] = [
    ['one byte of magic', '10', 'more'],
    ['a Midi header in progress', '1001 01 05 00000001', 'more'],
    ['Midi: header plus count', '1001 01 05 00000001 00000001 01d4 0000', 16 + 468],
    ['Bye', '1001 01 02', 4],
    ['Echo', '1001 01 03', 12],
    ['TCPBye, counted at its 16-byte form', '1001 01 06', 16],
    ['TCPCnxRefused', '1001 01 07', 6],
    ['bad magic at the first byte', '11', 'bad magic'],
    ['bad version', '1001 00', 'bad version 0'],
    ['HostID runs to its end of datagram', '1001 01 01', 'unframeable type 1'],
    ['fine-dated Midi: its trailer is not in its header', '1001 01 08', 'unframeable type 8'],
    ['unknown type', '1001 01 2a', 'unknown type 42'],
    ['negative count', '1001 01 05 00000001 00000001 8000 0000', 'negative count'],
  ];
  for (const [name, bytes, expected] of cases) {
    test(`${name}: ${expected}`, () => {
      const size = packetSize(hex(bytes));
      assert.equal(size.ok ? size.value : size.reason, expected);
    });
  }
});
