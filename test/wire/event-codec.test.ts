import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { MAX_SYSEX_DATA, TYPE_CODES, type EventType, type MidiEvent } from '../../src/model/event.js';
import {
  decodeEvent,
  encodedEventLength,
  encodeEvent,
  fixedPayloadSize,
} from '../../src/wire/event-codec.js';
import { ALL_EVENT_TYPES, arbitraryEvent } from './arbitraries.js';

const TEXT_TYPES: readonly EventType[] = [
  'textual',
  'copyright',
  'seqName',
  'instrName',
  'lyric',
  'marker',
  'cuePoint',
];

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const encoded = (e: MidiEvent, relDate = 0) => encodeEvent(e, relDate).toString('hex');
const decoded = (bytes: string) => {
  const result = decodeEvent(hex(bytes), 0);
  return result.ok ? result.value.event : result.reason;
};

describe('encodeEvent', () => {
  test('SPEC §5.4 example: KeyOn port 0 chan 0 pitch 60 vel 100, relative date 3', () => {
    const keyOn: MidiEvent = { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 };
    assert.equal(encoded(keyOn, 3), '00070100030000' + '3c64');
  });

  const layouts: [string, MidiEvent, string][] = [
    [
      'Note: pitch, vel, dur u16',
      { type: 'note', port: 0, chan: 0, pitch: 60, vel: 100, dur: 500 },
      '0009 00 0000 00 00 3c 64 01f4',
    ],
    [
      'Ctrl14b: value first, then the controller',
      { type: 'ctrl14b', port: 1, chan: 6, ctrl: 7, value: 1000 },
      '0009 83 0000 01 06 03e8 0007',
    ],
    [
      'RegParam: value first, then the parameter',
      { type: 'regParam', port: 0, chan: 0, ctrl: 0x101, value: 0x3fff },
      '0009 85 0000 00 00 3fff 0101',
    ],
    [
      'PitchWheel: LSB then MSB of 14 bits',
      { type: 'pitchWheel', port: 0, chan: 0, value: 0x2001 },
      '0007 07 0000 00 00 01 40',
    ],
    ['SongPos: LSB then MSB', { type: 'songPos', port: 0, chan: 0, value: 257 }, '0007 08 0000 00 00 01 02'],
    ['SeqNum: u16', { type: 'seqNum', port: 0, chan: 0, value: 0xfffe }, '0007 86 0000 00 00 fffe'],
    ['Tempo: u32', { type: 'tempo', port: 0, chan: 0, value: 0xfedcba98 }, '0009 90 0000 00 00 fedcba98'],
    [
      'SysEx: the data bytes, no F0/F7',
      { type: 'sysEx', port: 0, chan: 0, data: [1, 2, 3] },
      '0008 11 0000 00 00 010203',
    ],
    ['EndTrack: nothing', { type: 'endTrack', port: 0, chan: 0 }, '0005 8f 0000 00 00'],
    ['Text: UTF-8', { type: 'lyric', port: 0, chan: 0, text: 'é' }, '0007 8b 0000 00 00 c3a9'],
    [
      'QuarterFrame: 2 bytes, missing ones 0',
      { type: 'quarterFrame', port: 0, chan: 0, data: [3] },
      '0007 82 0000 00 00 0300',
    ],
    [
      'TimeSign: 4 bytes, extra ones dropped',
      { type: 'timeSign', port: 0, chan: 0, data: [4, 2, 24, 8, 9] },
      '0009 92 0000 00 00 04021808',
    ],
  ];
  for (const [name, event, bytes] of layouts) {
    test(name, () => assert.equal(encoded(event), hex(bytes).toString('hex')));
  }

  test('relative dates are i16: -1 is ffff, beyond the range they clamp instead of wrapping', () => {
    const clock: MidiEvent = { type: 'clock', port: 0, chan: 0 };
    assert.equal(encoded(clock, -1).slice(6, 10), 'ffff');
    assert.equal(encoded(clock, 40_000).slice(6, 10), '7fff');
    assert.equal(encoded(clock, -40_000).slice(6, 10), '8000');
  });

  test('numbers are cut to their wire width, as the original casts them', () => {
    assert.equal(
      encoded({ type: 'keyOn', port: 256 + 2, chan: 1, pitch: 256 + 60, vel: -1 }),
      '0007 01 0000 02 01 3c ff'.replace(/ /g, ''),
    );
  });

  test('a SysEx of MAX_SYSEX_DATA bytes fills len; one more byte is refused', () => {
    const sysEx = (n: number): MidiEvent => ({
      type: 'sysEx',
      port: 0,
      chan: 0,
      data: new Array<number>(n).fill(1),
    });
    assert.equal(encodeEvent(sysEx(MAX_SYSEX_DATA), 0).readUInt16BE(0), 0xffff);
    assert.throws(() => encodeEvent(sysEx(MAX_SYSEX_DATA + 1), 0), RangeError);
  });

  test('encodedEventLength tells the length without encoding', () => {
    fc.assert(
      fc.property(arbitraryEvent(), (e) => assert.equal(encodedEventLength(e), encodeEvent(e, 0).length)),
    );
  });
});

describe('decodeEvent', () => {
  test('SPEC §5.4 example, with the length it took', () => {
    assert.deepEqual(decodeEvent(hex('00 07 01 00 03 00 00 3c 64'), 0), {
      ok: true,
      value: { event: { type: 'keyOn', date: 3, port: 0, chan: 0, pitch: 60, vel: 100 }, length: 9 },
    });
  });

  test('reads at an offset inside a larger buffer', () => {
    const clockThenKeyOn = hex('0005 0a 0000 00 00  0007 01 ffff 00 03 3c 64');
    const second = decodeEvent(clockThenKeyOn, 7);
    assert.ok(second.ok);
    assert.deepEqual(second.value.event, { type: 'keyOn', date: -1, port: 0, chan: 3, pitch: 60, vel: 100 });
  });

  test('texts: UTF-8 when valid, else Latin-1, never a throw', () => {
    assert.deepEqual(decoded('0007 87 0000 00 00 c3a9'), {
      type: 'textual',
      date: 0,
      port: 0,
      chan: 0,
      text: 'é',
    });
    assert.deepEqual(decoded('0006 87 0000 00 00 e9'), {
      type: 'textual',
      date: 0,
      port: 0,
      chan: 0,
      text: 'é',
    });
    assert.deepEqual(decoded('0007 87 0000 00 00 c328'), {
      type: 'textual',
      date: 0,
      port: 0,
      chan: 0,
      text: 'Ã(',
    });
  });

  test('PitchWheel keeps 7 bits of each byte', () => {
    assert.deepEqual(decoded('0007 07 0000 00 00 ff 80'), {
      type: 'pitchWheel',
      date: 0,
      port: 0,
      chan: 0,
      value: 0x7f,
    });
  });

  const failures: [string, string, string][] = [
    ['one byte', '00', 'truncated event'],
    ['len beyond the bytes', '0009 00 0000 00 00 3c 64 01', 'truncated event'],
    ['len below 5', '0004 0a 0000 00', 'bad event length'],
    ['type 19 (never sent)', '0005 13 0000 00 00', 'unknown event type 19'],
    ['type 129 (never sent)', '0006 81 0000 00 00 01', 'unknown event type 129'],
    ['type 149 (never sent)', '0005 95 0000 00 00', 'unknown event type 149'],
    ['type 255', '0005 ff 0000 00 00', 'unknown event type 255'],
    ['KeyOn with three bytes', '0008 01 0000 00 00 3c 64 00', 'bad length for keyOn'],
    ['Clock with a byte', '0006 0a 0000 00 00 00', 'bad length for clock'],
  ];
  for (const [name, bytes, reason] of failures) {
    test(`${name}: '${reason}'`, () => assert.equal(decoded(bytes), reason));
  }

  test('decodes what it encoded, for every event type, with the relative date', () => {
    fc.assert(
      fc.property(
        arbitraryEvent({ date: fc.constant(undefined) }),
        fc.integer({ min: -0x8000, max: 0x7fff }),
        (e, relDate) => {
          const bytes = encodeEvent(e, relDate);
          assert.deepEqual(decodeEvent(bytes, 0), {
            ok: true,
            value: { event: { ...e, date: relDate }, length: bytes.length },
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('encodes what it decoded, byte for byte, for any well-formed event bytes', () => {
    // 7-bit PitchWheel/SongPos bytes and non-UTF-8 texts are the lossy cases, documented in docs/protocol.md.
    const lossless = ALL_EVENT_TYPES.filter(
      (t) => !['pitchWheel', 'songPos'].includes(t) && !TEXT_TYPES.includes(t),
    );
    const eventBytes = fc
      .constantFrom(...lossless)
      .chain((type) =>
        fc.tuple(
          fc.constant(TYPE_CODES[type]),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.uint8Array({ minLength: fixedPayloadSize(type) ?? 0, maxLength: fixedPayloadSize(type) ?? 40 }),
        ),
      )
      .map(([code, datePortChan, payload]) =>
        Buffer.concat([Buffer.from([0, 5 + payload.length, code]), datePortChan, payload]),
      );
    fc.assert(
      fc.property(eventBytes, (bytes) => {
        const result = decodeEvent(bytes, 0);
        assert.ok(result.ok);
        const { event } = result.value;
        assert.equal(encodeEvent(event, event.date ?? 0).toString('hex'), bytes.toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });
});
