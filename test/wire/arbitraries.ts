/**
 * fast-check generators of valid events, for any test that needs events:
 * every type of src/model/event.ts, each field within its model range.
 *
 *   fc.assert(fc.property(arbitraryEvent(), (e) => …))
 *   arbitraryEvent({ date: fc.constant(undefined) })  // "now" events, no date
 *   arbitraryEvent({ types: ['keyOn', 'keyOff'] })
 */
import fc from 'fast-check';
import { type EventType, type MidiEvent, TYPE_CODES, MAX_SYSEX_DATA } from '../../src/model/event.js';
import { packSmpteOffset } from '../../src/wire/smpte-offset.js';

export interface ArbitraryEventOptions {
  /** Most data bytes (sysEx, stream, specific) and most characters of a text (default 64). */
  maxDataLength?: number;
  /** Each event's `date` (default: any relative date, i16); an undefined value leaves `date` out. */
  date?: fc.Arbitrary<number | undefined>;
  /** Only these types (default: all). */
  types?: readonly EventType[];
}

export const ALL_EVENT_TYPES = Object.keys(TYPE_CODES) as EventType[];

/** Any relative date a packet can carry (i16). */
export const arbitraryRelativeDate = fc.integer({ min: -0x8000, max: 0x7fff });

const u7 = fc.integer({ min: 0, max: 127 });
const u8 = fc.integer({ min: 0, max: 255 });
const u14 = fc.integer({ min: 0, max: 16383 });

/** The type-specific fields of one event type. */
function fieldsOf(type: EventType, maxDataLength: number): fc.Arbitrary<object> {
  const bytes = (byte: fc.Arbitrary<number>) => fc.array(byte, { maxLength: maxDataLength });
  switch (type) {
    case 'note':
      return fc.record({ pitch: u7, vel: u7, dur: fc.integer({ min: 0, max: 32767 }) });
    case 'keyOn':
    case 'keyOff':
    case 'keyPress':
      return fc.record({ pitch: u7, vel: u7 });
    case 'ctrlChange':
      return fc.record({ ctrl: u7, value: u7 });
    case 'ctrl14b':
      return fc.record({ ctrl: fc.integer({ min: 0, max: 31 }), value: u14 });
    case 'nonRegParam':
    case 'regParam':
      return fc.record({ ctrl: u14, value: u14 });
    case 'progChange':
    case 'chanPress':
    case 'songSel':
      return fc.record({ value: u7 });
    case 'chanPrefix':
      return fc.record({ value: fc.integer({ min: 0, max: 15 }) });
    case 'pitchWheel':
    case 'songPos':
      return fc.record({ value: u14 });
    case 'seqNum':
      return fc.record({ value: fc.integer({ min: 0, max: 0xffff }) });
    case 'tempo':
      return fc.record({ value: fc.integer({ min: 0, max: 0xffffffff }) });
    case 'clock':
    case 'start':
    case 'continue':
    case 'stop':
    case 'tune':
    case 'activeSens':
    case 'reset':
    case 'endTrack':
      return fc.constant({});
    case 'sysEx':
      return fc.record({ data: fc.array(u7, { maxLength: Math.min(maxDataLength, MAX_SYSEX_DATA) }) });
    case 'stream':
    case 'specific':
      return fc.record({ data: bytes(u8) });
    case 'quarterFrame':
      return fc.record({ data: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 15 })) });
    case 'smpteOffset':
      return fc
        .record({
          format: fc.integer({ min: 0, max: 3 }),
          hours: fc.integer({ min: 0, max: 23 }),
          minutes: fc.integer({ min: 0, max: 59 }),
          seconds: fc.integer({ min: 0, max: 59 }),
          frames: fc.integer({ min: 0, max: 29 }),
          subframes: fc.integer({ min: 0, max: 99 }),
        })
        .map((offset) => ({ data: packSmpteOffset(offset) }));
    case 'timeSign':
      return fc.record({ data: fc.tuple(u8, u8, u8, u8) });
    case 'keySign':
      // The key is a signed byte (−7 flats … 7 sharps) held 0–255.
      return fc.record({
        data: fc.tuple(
          fc.integer({ min: -7, max: 7 }).map((k) => k & 0xff),
          fc.integer({ min: 0, max: 1 }),
        ),
      });
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
      return fc.record({ text: fc.string({ unit: 'binary', maxLength: maxDataLength }) });
  }
}

export function arbitraryEvent(options: ArbitraryEventOptions = {}): fc.Arbitrary<MidiEvent> {
  const maxDataLength = options.maxDataLength ?? 64;
  const date = options.date ?? arbitraryRelativeDate;
  const types = options.types ?? ALL_EVENT_TYPES;
  return fc
    .constantFrom(...types)
    .chain((type) =>
      fc.record({
        type: fc.constant(type),
        port: u8,
        chan: fc.integer({ min: 0, max: 15 }),
        date,
        fields: fieldsOf(type, maxDataLength),
      }),
    )
    .map(({ type, port, chan, date, fields }) => {
      const event = { type, port, chan, ...(date === undefined ? {} : { date }), ...fields };
      return event as MidiEvent;
    });
}
