/**
 * fast-check arbitraries of valid events, every type, over the full ranges of
 * SPEC §2 (see src/model/event-schema.ts). Byte payloads are kept short so
 * that properties run quickly; the size limits have their own tests.
 */
import fc from 'fast-check';
import { TYPE_CODES, type EventType, type MidiEvent } from '../../src/model/event.js';

const byte7 = fc.integer({ min: 0, max: 127 });
const byte14 = fc.integer({ min: 0, max: 16383 });
const bytes = (max: number, length?: number) =>
  fc.array(
    fc.integer({ min: 0, max }),
    length === undefined ? { maxLength: 64 } : { minLength: length, maxLength: length },
  );
/** Any Unicode, with the characters the text form escapes or splits on coming often. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom(':', '%', '%3A', '=', ',', ' ', '\n', '\u0000', '\u007f', 'é', '😀'),
  ),
  maxLength: 40,
});

/** The fields of each type, as arbitraries. */
const FIELDS: { [T in EventType]: Record<string, fc.Arbitrary<unknown>> } = {
  note: { pitch: byte7, vel: byte7, dur: fc.integer({ min: 0, max: 32767 }) },
  keyOn: { pitch: byte7, vel: byte7 },
  keyOff: { pitch: byte7, vel: byte7 },
  keyPress: { pitch: byte7, vel: byte7 },
  ctrlChange: { ctrl: byte7, value: byte7 },
  progChange: { value: byte7 },
  chanPress: { value: byte7 },
  pitchWheel: { value: byte14 },
  songPos: { value: byte14 },
  songSel: { value: byte7 },
  clock: {},
  start: {},
  continue: {},
  stop: {},
  tune: {},
  activeSens: {},
  reset: {},
  sysEx: { data: bytes(127) },
  stream: { data: bytes(255) },
  quarterFrame: {
    data: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 15 })).map((t) => [...t]),
  },
  ctrl14b: { ctrl: fc.integer({ min: 0, max: 31 }), value: byte14 },
  nonRegParam: { ctrl: byte14, value: byte14 },
  regParam: { ctrl: byte14, value: byte14 },
  seqNum: { value: fc.integer({ min: 0, max: 65535 }) },
  textual: { text: anyText },
  copyright: { text: anyText },
  seqName: { text: anyText },
  instrName: { text: anyText },
  lyric: { text: anyText },
  marker: { text: anyText },
  cuePoint: { text: anyText },
  chanPrefix: { value: fc.integer({ min: 0, max: 15 }) },
  endTrack: {},
  tempo: { value: fc.integer({ min: 0, max: 0xffff_ffff }) },
  smpteOffset: { data: bytes(255, 4) },
  timeSign: { data: bytes(255, 4) },
  keySign: { data: bytes(255, 2) },
  specific: { data: bytes(255) },
};

export const ALL_EVENT_TYPES = Object.keys(TYPE_CODES) as EventType[];

/** Milliseconds ≥ 0: integers mostly, fractions too (a scheduler's clock may have them). */
export const arbitraryDate = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
);

/** A valid event of one type, keys in the canonical order (type, date?, port, chan, fields). */
export function arbitraryEventOf<T extends EventType>(type: T): fc.Arbitrary<MidiEvent> {
  return fc
    .record(
      {
        date: arbitraryDate,
        port: fc.integer({ min: 0, max: 255 }),
        chan: fc.integer({ min: 0, max: 15 }),
        fields: fc.record(FIELDS[type]),
      },
      { requiredKeys: ['port', 'chan', 'fields'] },
    )
    .map(({ date, port, chan, fields }) => {
      const base = date === undefined ? { port, chan } : { date, port, chan };
      return { type, ...base, ...fields } as unknown as MidiEvent;
    });
}

/** A valid event of any type (or of the types given), every type equally likely. */
export function arbitraryEvent(types: readonly EventType[] = ALL_EVENT_TYPES): fc.Arbitrary<MidiEvent> {
  return fc.oneof(...types.map((type) => arbitraryEventOf(type)));
}
