/**
 * The MidiShare event model (SPEC §1, §2 "Event JSON", §5.4).
 *
 * Inside the pipeline an event has exactly the shape `msinet dump --json`
 * prints, so an operator a user writes sees what a person sees. `date` is in
 * milliseconds on the driver's clock; absent means "now".
 */

/** Wire type codes of SPEC §5.4, keyed by the Event JSON `type` name. */
export const TYPE_CODES = {
  note: 0,
  keyOn: 1,
  keyOff: 2,
  keyPress: 3,
  ctrlChange: 4,
  progChange: 5,
  chanPress: 6,
  pitchWheel: 7,
  songPos: 8,
  songSel: 9,
  clock: 10,
  start: 11,
  continue: 12,
  stop: 13,
  tune: 14,
  activeSens: 15,
  reset: 16,
  sysEx: 17,
  stream: 18,
  quarterFrame: 130,
  ctrl14b: 131,
  nonRegParam: 132,
  regParam: 133,
  seqNum: 134,
  textual: 135,
  copyright: 136,
  seqName: 137,
  instrName: 138,
  lyric: 139,
  marker: 140,
  cuePoint: 141,
  chanPrefix: 142,
  endTrack: 143,
  tempo: 144,
  smpteOffset: 145,
  timeSign: 146,
  keySign: 147,
  specific: 148,
} as const;

export type EventType = keyof typeof TYPE_CODES;

/** Fields every event carries. */
export interface EventBase {
  /** Milliseconds on the driver's clock; absent: now. */
  date?: number;
  /** 0–255. Port 255 is the reliable path (SPEC §6, §7). */
  port: number;
  /** 0–15. */
  chan: number;
}

/** Note with a duration: pitch, vel 0–127, dur 0–32767 ms. */
export interface NoteEvent extends EventBase {
  type: 'note';
  pitch: number;
  vel: number;
  dur: number;
}

/** KeyOn, KeyOff, KeyPress (polyphonic pressure in `vel`): pitch, vel 0–127. */
export interface KeyEvent extends EventBase {
  type: 'keyOn' | 'keyOff' | 'keyPress';
  pitch: number;
  vel: number;
}

/**
 * CtrlChange (ctrl, value 0–127); Ctrl14b (ctrl 0–31 in MIDI, up to 16383 as the original carries it; value 0–16383);
 * NonRegParam and RegParam (parameter number `ctrl` and `value`, 0–16383).
 * On the wire the 14-bit kinds carry two i16 fields in the original's order
 * (see docs/protocol.md).
 */
export interface ControlEvent extends EventBase {
  type: 'ctrlChange' | 'ctrl14b' | 'nonRegParam' | 'regParam';
  ctrl: number;
  value: number;
}

/**
 * One number: progChange, chanPress, songSel (0–127), chanPrefix (0–15),
 * pitchWheel and songPos (0–16383, 8192 = centre for pitchWheel),
 * seqNum (0–65535 as held, i16 on the wire), tempo (µs per quarter, u32).
 */
export interface ValueEvent extends EventBase {
  type: 'progChange' | 'chanPress' | 'songSel' | 'chanPrefix' | 'pitchWheel' | 'songPos' | 'seqNum' | 'tempo';
  value: number;
}

/** System realtime and common messages without data, and EndTrack. */
export interface SimpleEvent extends EventBase {
  type: 'clock' | 'start' | 'continue' | 'stop' | 'tune' | 'activeSens' | 'reset' | 'endTrack';
}

/**
 * Byte payloads: sysEx (data bytes 0–127 without F0/F7, at most 65,530),
 * stream (raw MIDI bytes), quarterFrame (2 bytes: message type, value),
 * smpteOffset (4), timeSign (4), keySign (2: key as a signed byte held 0–255,
 * mode), specific (any bytes).
 */
export interface DataEvent extends EventBase {
  type: 'sysEx' | 'stream' | 'quarterFrame' | 'smpteOffset' | 'timeSign' | 'keySign' | 'specific';
  data: number[];
}

/** MIDI file meta text events. */
export interface TextEvent extends EventBase {
  type: 'textual' | 'copyright' | 'seqName' | 'instrName' | 'lyric' | 'marker' | 'cuePoint';
  text: string;
}

export type MidiEvent =
  NoteEvent | KeyEvent | ControlEvent | ValueEvent | SimpleEvent | DataEvent | TextEvent;

/** The most data bytes one SysEx can carry: `len` is a u16 and includes 5 header bytes. */
export const MAX_SYSEX_DATA = 65_530;

/** Port whose events take the reliable path. */
export const RELIABLE_PORT = 255;

const CODE_TO_TYPE = new Map<number, EventType>(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as EventType]),
);

/** The Event JSON name of a wire type code, or undefined for codes never sent. */
export function typeOfCode(code: number): EventType | undefined {
  return CODE_TO_TYPE.get(code);
}

/** Types that are MIDI channel messages: their `chan` means a MIDI channel. */
const CHANNEL_MESSAGES: ReadonlySet<EventType> = new Set<EventType>([
  'note',
  'keyOn',
  'keyOff',
  'keyPress',
  'ctrlChange',
  'progChange',
  'chanPress',
  'pitchWheel',
  'ctrl14b',
  'nonRegParam',
  'regParam',
]);

export const isChannelMessage = (event: MidiEvent): boolean => CHANNEL_MESSAGES.has(event.type);

/**
 * The event dated `date`. Every event on its way through the driver gets a new
 * date, so this is per event: V8 copies `{ ...event, date }` fast when `event`
 * already has a `date` key, but about twenty times slower when the copy must
 * grow a key the original lacks (an event a client sent for now), so that one
 * is written date first.
 */
export function withDate<E extends MidiEvent>(event: E, date: number): E & { date: number } {
  return 'date' in event ? { ...event, date } : { date, ...event };
}
