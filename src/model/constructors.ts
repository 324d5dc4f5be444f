/**
 * Typed constructors for every event type: `ev.keyOn(60, 100, { chan: 1 })`,
 * `ev.note(60, 100, 500)`, `ev.sysEx([0x7e, 0x7f, 0x09, 0x01])`, `ev.continue()`.
 * One object, so that an editor lists every type after `ev.`, and so that
 * `continue` can be a name.
 *
 * Each constructor checks its arguments with the same rules as `parseEvent`
 * and throws a RangeError naming the field when one is out of range: calling
 * one with a bad value is a mistake in the calling code, not bad input
 * (input from outside goes through `parseEvent`, which answers a Result).
 */
import type { MidiEvent } from './event.js';
import { parseEvent } from './event-json.js';

/** Where and when: port 0–255 (default 0), chan 0–15 (default 0), date in ms (default: now). */
export interface EventOptions {
  port?: number;
  chan?: number;
  date?: number;
}

/** The event shape of one type name: `EventOf<'keyOn'>` is a KeyEvent whose type is 'keyOn'. */
export type EventOf<T extends MidiEvent['type']> = MidiEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? E & { type: T }
      : never
    : never
  : never;

function make<T extends MidiEvent['type']>(
  type: T,
  fields: Record<string, unknown>,
  options: EventOptions = {},
): EventOf<T> {
  const result = parseEvent({ type, ...options, ...fields });
  if (!result.ok) throw new RangeError(`${type}: ${result.reason}`);
  return result.value as EventOf<T>;
}

const simple =
  <T extends MidiEvent['type']>(type: T) =>
  (options?: EventOptions): EventOf<T> =>
    make(type, {}, options);

const textual =
  <T extends MidiEvent['type']>(type: T) =>
  (text: string, options?: EventOptions): EventOf<T> =>
    make(type, { text }, options);

export const ev = {
  /** A note with its duration; the driver plays it as a KeyOn and a KeyOff `dur` ms later. */
  note: (pitch: number, vel: number, dur: number, options?: EventOptions) =>
    make('note', { pitch, vel, dur }, options),
  /** Note on. A velocity of 0 is kept as such: MIDI's other way of saying note off. */
  keyOn: (pitch: number, vel: number, options?: EventOptions) => make('keyOn', { pitch, vel }, options),
  keyOff: (pitch: number, vel: number, options?: EventOptions) => make('keyOff', { pitch, vel }, options),
  /** Polyphonic key pressure (aftertouch); the pressure travels in `vel`. */
  keyPress: (pitch: number, pressure: number, options?: EventOptions) =>
    make('keyPress', { pitch, vel: pressure }, options),
  ctrlChange: (ctrl: number, value: number, options?: EventOptions) =>
    make('ctrlChange', { ctrl, value }, options),
  /** 14-bit controller: number 0–31 (its LSB is ctrl + 32), value 0–16383. */
  ctrl14b: (ctrl: number, value: number, options?: EventOptions) => make('ctrl14b', { ctrl, value }, options),
  /** NRPN: parameter number 0–16383, value 0–16383. */
  nonRegParam: (param: number, value: number, options?: EventOptions) =>
    make('nonRegParam', { ctrl: param, value }, options),
  /** RPN: parameter number 0–16383 (0 = pitch-bend range…), value 0–16383. */
  regParam: (param: number, value: number, options?: EventOptions) =>
    make('regParam', { ctrl: param, value }, options),
  progChange: (program: number, options?: EventOptions) => make('progChange', { value: program }, options),
  chanPress: (pressure: number, options?: EventOptions) => make('chanPress', { value: pressure }, options),
  /** 0–16383, 8192 = centre. */
  pitchWheel: (value: number, options?: EventOptions) => make('pitchWheel', { value }, options),
  /** Song position in MIDI beats (sixteenth notes), 0–16383. */
  songPos: (beats: number, options?: EventOptions) => make('songPos', { value: beats }, options),
  songSel: (song: number, options?: EventOptions) => make('songSel', { value: song }, options),
  clock: simple('clock'),
  start: simple('start'),
  continue: simple('continue'),
  stop: simple('stop'),
  tune: simple('tune'),
  activeSens: simple('activeSens'),
  reset: simple('reset'),
  /** System exclusive data bytes 0–127, without F0 and F7. */
  sysEx: (data: readonly number[], options?: EventOptions) => make('sysEx', { data: [...data] }, options),
  /** Raw MIDI bytes, sent as they are. */
  stream: (bytes: readonly number[], options?: EventOptions) => make('stream', { data: [...bytes] }, options),
  /** MTC quarter frame: piece 0–7 (frames low nibble … hours high nibble), value 0–15. */
  quarterFrame: (piece: number, value: number, options?: EventOptions) =>
    make('quarterFrame', { data: [piece, value] }, options),
  seqNum: (number: number, options?: EventOptions) => make('seqNum', { value: number }, options),
  textual: textual('textual'),
  copyright: textual('copyright'),
  seqName: textual('seqName'),
  instrName: textual('instrName'),
  lyric: textual('lyric'),
  marker: textual('marker'),
  cuePoint: textual('cuePoint'),
  chanPrefix: (channel: number, options?: EventOptions) => make('chanPrefix', { value: channel }, options),
  endTrack: simple('endTrack'),
  tempo: (microsecondsPerQuarter: number, options?: EventOptions) =>
    make('tempo', { value: microsecondsPerQuarter }, options),
  /** The 4 bytes MidiShare carries for an SMPTE offset, as the original sends them. */
  smpteOffset: (bytes: readonly number[], options?: EventOptions) =>
    make('smpteOffset', { data: [...bytes] }, options),
  /** 4/4 is `timeSign(4, 2, 24, 8)`: denominator as a power of 2, MIDI clocks per click, 32nds per quarter. */
  timeSign: (
    numerator: number,
    denominatorPower: number,
    clocksPerClick: number,
    thirtySecondsPerQuarter: number,
    options?: EventOptions,
  ) =>
    make(
      'timeSign',
      { data: [numerator, denominatorPower, clocksPerClick, thirtySecondsPerQuarter] },
      options,
    ),
  /** key −7 (7 flats) … 7 (7 sharps), held as a byte (−2 → 254) as the original does; mode 0 major, 1 minor. */
  keySign: (key: number, mode: number, options?: EventOptions) =>
    make('keySign', { data: [key < 0 && key >= -128 ? key + 256 : key, mode] }, options),
  /** Application-specific bytes. */
  specific: (bytes: readonly number[], options?: EventOptions) =>
    make('specific', { data: [...bytes] }, options),
} as const;
