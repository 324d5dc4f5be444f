/**
 * What each event type holds, field by field (SPEC §2 "Event JSON", §5.4), and
 * how a field is checked. One table, read by the JSON and text forms, the
 * constructors and `describeEvent`, so that they can never disagree.
 */
import { MAX_SYSEX_DATA, TYPE_CODES, type EventType } from './event.js';
import { fail, ok, type Result } from './result.js';

/** Checks one field's value; answers the value as the event holds it, or a message naming the field. */
export type FieldCheck = (value: unknown, field: string, type: EventType) => Result<unknown>;

export interface FieldSpec {
  readonly name: 'pitch' | 'vel' | 'dur' | 'ctrl' | 'value' | 'data' | 'text';
  readonly check: FieldCheck;
}

/** How a value looks in a message: short, and typed enough to see what went wrong. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** An integer in [min, max]; -0 becomes 0 so that printing and parsing agree. */
export function integer(min: number, max: number): FieldCheck {
  return (value, field) =>
    isIntegerIn(value, min, max)
      ? ok(value + 0)
      : fail(`${field}: expected an integer ${min}–${max}, got ${show(value)}`);
}

interface ByteRule {
  /** Largest value of every byte, or of each byte by position (which also fixes the length). */
  readonly max: number | readonly number[];
  /** Exact length, when the type has one. */
  readonly length?: number;
}

/** An array of small integers; at most MAX_SYSEX_DATA of them, the wire's 16-bit `len` less the header. */
function bytes(rule: ByteRule): FieldCheck {
  const maxAt = (index: number): number => (typeof rule.max === 'number' ? rule.max : (rule.max[index] ?? 0));
  const length = typeof rule.max === 'number' ? rule.length : rule.max.length;
  const description =
    typeof rule.max === 'number' ? `integers 0–${rule.max}` : `[${rule.max.map((m) => `0–${m}`).join(', ')}]`;
  return (value, field, type) => {
    if (!Array.isArray(value))
      return fail(`${field}: expected an array of ${description}, got ${show(value)}`);
    if (length !== undefined && value.length !== length) {
      return fail(`${field}: a ${type} has exactly ${length} bytes, got ${value.length}`);
    }
    if (value.length > MAX_SYSEX_DATA) {
      return fail(`${field}: a ${type} carries at most ${MAX_SYSEX_DATA} bytes, got ${value.length}`);
    }
    const held: number[] = new Array<number>(value.length);
    for (let i = 0; i < value.length; i++) {
      const byte: unknown = value[i];
      const max = maxAt(i);
      if (!isIntegerIn(byte, 0, max)) {
        return fail(`${field}[${i}]: expected an integer 0–${max}, got ${show(byte)}`);
      }
      held[i] = byte + 0;
    }
    return ok(held);
  };
}

const encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Surrogate}/u;

/** A string whose UTF-8 form fits in one event (the wire carries text as bytes). */
const text: FieldCheck = (value, field, type) => {
  if (typeof value !== 'string') return fail(`${field}: expected a string, got ${show(value)}`);
  // Half a surrogate pair is no character: UTF-8 cannot carry it, so it would not come back the same.
  const lone = LONE_SURROGATE.exec(value);
  if (lone !== null) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return fail(`${field}: not well-formed Unicode (lone surrogate U+${code} at ${lone.index})`);
  }
  // UTF-8 is never shorter than Latin-1, so this bound holds whichever the wire uses.
  // A UTF-16 unit takes at most 3 UTF-8 bytes: short strings need no encoding to know they fit.
  if (value.length <= MAX_SYSEX_DATA / 3) return ok(value);
  const size = encoder.encode(value).length;
  if (size > MAX_SYSEX_DATA) {
    return fail(`${field}: a ${type} carries at most ${MAX_SYSEX_DATA} bytes of UTF-8, got ${size}`);
  }
  return ok(value);
};

const byte7 = integer(0, 127);
const byte14 = integer(0, 16383);
const field = (name: FieldSpec['name'], check: FieldCheck): FieldSpec => ({ name, check });

const KEY = [field('pitch', byte7), field('vel', byte7)];
const VALUE7 = [field('value', byte7)];
const VALUE14 = [field('value', byte14)];
const NONE: FieldSpec[] = [];
const TEXT = [field('text', text)];
const ANY_BYTES = [field('data', bytes({ max: 255 }))];

/** The fields of each type, in their canonical order (the order JSON and text print them). */
export const EVENT_FIELDS: { readonly [T in EventType]: readonly FieldSpec[] } = {
  note: [...KEY, field('dur', integer(0, 32767))],
  keyOn: KEY,
  keyOff: KEY,
  keyPress: KEY,
  ctrlChange: [field('ctrl', byte7), field('value', byte7)],
  progChange: VALUE7,
  chanPress: VALUE7,
  pitchWheel: VALUE14,
  songPos: VALUE14,
  songSel: VALUE7,
  clock: NONE,
  start: NONE,
  continue: NONE,
  stop: NONE,
  tune: NONE,
  activeSens: NONE,
  reset: NONE,
  sysEx: [field('data', bytes({ max: 127 }))],
  stream: ANY_BYTES,
  // A MIDI quarter frame's data byte is 0nnn dddd: piece 0–7, value 0–15.
  quarterFrame: [field('data', bytes({ max: [7, 15] }))],
  // MIDI gives a 14-bit controller 0–31, but the original sends whatever its field holds
  // (its captures carry 1000): what `msinet dump` prints, `msinet send` takes back.
  ctrl14b: [field('ctrl', byte14), field('value', byte14)],
  nonRegParam: [field('ctrl', byte14), field('value', byte14)],
  regParam: [field('ctrl', byte14), field('value', byte14)],
  seqNum: [field('value', integer(0, 65535))],
  textual: TEXT,
  copyright: TEXT,
  seqName: TEXT,
  instrName: TEXT,
  lyric: TEXT,
  marker: TEXT,
  cuePoint: TEXT,
  chanPrefix: [field('value', integer(0, 15))],
  endTrack: NONE,
  tempo: [field('value', integer(0, 0xffff_ffff))],
  smpteOffset: [field('data', bytes({ max: 255, length: 4 }))],
  timeSign: [field('data', bytes({ max: 255, length: 4 }))],
  // The key is a signed byte held as 0–255 (−2 flats is 254), as the original sends it.
  keySign: [field('data', bytes({ max: 255, length: 2 }))],
  specific: ANY_BYTES,
};

export const EVENT_TYPES = Object.keys(TYPE_CODES) as EventType[];

export function isEventType(name: unknown): name is EventType {
  return typeof name === 'string' && Object.hasOwn(TYPE_CODES, name);
}

/** Fields every event has, checked the same way. */
export const checkDate: FieldCheck = (value, field) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? ok(value + 0)
    : fail(`${field}: expected a finite number ≥ 0 (ms), got ${show(value)}`);
export const checkPort = integer(0, 255);
export const checkChan = integer(0, 15);
