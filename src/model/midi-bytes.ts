/**
 * MIDI 1.0 bytes ⇄ events, for MIDI ports (SPEC §8). Field meanings follow
 * MidiShare's own conversions (lib/MidiStreamToEvent.c, lib/EventToMidiStream.c
 * in the original's source).
 *
 * Reading is a pure fold over the chunks a MIDI input delivers:
 *
 *     let state = initialMidiParser();
 *     ({ state, events, dropped } = parseMidiChunk(state, chunk, { port, date }));
 *
 * - Running status; a system common message cancels it.
 * - Realtime bytes (F8–FF) may come anywhere, even between a message's data
 *   bytes or inside a SysEx: they become events at once, in stream order,
 *   and disturb nothing.
 * - A SysEx may span any number of chunks; it becomes one `sysEx` event
 *   (data without F0/F7) at its F7. One longer than MAX_SYSEX_DATA, or one
 *   cut short by another status byte, is dropped and reported in `dropped`;
 *   the state never holds more than MAX_SYSEX_DATA bytes.
 * - Note on with velocity 0 stays a `keyOn` with vel 0, as the original's
 *   parser keeps it (it is MIDI's other note off; see `isNoteOff`): bytes
 *   bridged from one port to another come out as they went in.
 * - F1 MTC quarter frame → quarterFrame [piece, value]; F2 → songPos;
 *   F3 → songSel; F6 → tune. Undefined statuses F4, F5, F9, FD are ignored
 *   (the original's MIDI Time Piece use of F5 is not supported).
 * - A data byte with no status to belong to is ignored and reported.
 *
 * Writing: `eventToMidiBytes` gives one array per MIDI message, each with its
 * status byte (running status is the writer's choice).
 */
import type { MidiEvent, SimpleEvent } from './event.js';
import { MAX_SYSEX_DATA } from './event.js';

const SYSEX = 0xf0;
const QUARTER_FRAME = 0xf1;
const SONG_POSITION = 0xf2;
const SONG_SELECT = 0xf3;
const TUNE_REQUEST = 0xf6;
const END_OF_SYSEX = 0xf7;
const CONTROL_CHANGE = 0xb0;

const REALTIME: ReadonlyMap<number, SimpleEvent['type']> = new Map([
  [0xf8, 'clock'],
  [0xfa, 'start'],
  [0xfb, 'continue'],
  [0xfc, 'stop'],
  [0xfe, 'activeSens'],
  [0xff, 'reset'],
] as const);

/** SysEx data received in earlier chunks, newest first: appending is O(1) and the state stays immutable. */
interface Segments {
  readonly bytes: Uint8Array;
  readonly previous: Segments | undefined;
}

interface SysExInProgress {
  /** Data bytes so far, counted even once they no longer fit. */
  readonly length: number;
  /** Undefined once length passed MAX_SYSEX_DATA: the rest is only counted. */
  readonly segments: Segments | undefined;
}

export interface MidiParserState {
  /** Status of the message being received or repeated by running status; 0 when none. */
  readonly status: number;
  /** Data bytes of the current message received so far (fewer than it needs). */
  readonly data: readonly number[];
  /** Set between F0 and the byte that ends it. */
  readonly sysEx: SysExInProgress | undefined;
}

export interface MidiChunkResult {
  readonly state: MidiParserState;
  /** Complete messages of this chunk, in stream order. */
  readonly events: MidiEvent[];
  /** One sentence per message or run of bytes that was dropped, for the log. */
  readonly dropped: string[];
}

export function initialMidiParser(): MidiParserState {
  return { status: 0, data: [], sysEx: undefined };
}

/** Data bytes a status expects; 0 for statuses that have none or are not parsed. */
function dataLength(status: number): number {
  switch (status & 0xf0) {
    case 0x80:
    case 0x90:
    case 0xa0:
    case 0xb0:
    case 0xe0:
      return 2;
    case 0xc0:
    case 0xd0:
      return 1;
  }
  if (status === SONG_POSITION) return 2;
  if (status === QUARTER_FRAME || status === SONG_SELECT) return 1;
  return 0;
}

const hex = (byte: number): string => byte.toString(16).toUpperCase().padStart(2, '0');

/** The event of one complete message. */
function messageEvent(
  status: number,
  d: readonly number[],
  port: number,
  date: number | undefined,
): MidiEvent {
  const a = d[0] ?? 0;
  const b = d[1] ?? 0;
  const base = (chan: number) => (date === undefined ? { port, chan } : { date, port, chan });
  const chan = status & 0x0f;
  switch (status & 0xf0) {
    case 0x80:
      return { type: 'keyOff', ...base(chan), pitch: a, vel: b };
    case 0x90:
      return { type: 'keyOn', ...base(chan), pitch: a, vel: b };
    case 0xa0:
      return { type: 'keyPress', ...base(chan), pitch: a, vel: b };
    case 0xb0:
      return { type: 'ctrlChange', ...base(chan), ctrl: a, value: b };
    case 0xc0:
      return { type: 'progChange', ...base(chan), value: a };
    case 0xd0:
      return { type: 'chanPress', ...base(chan), value: a };
    case 0xe0:
      return { type: 'pitchWheel', ...base(chan), value: a | (b << 7) };
  }
  switch (status) {
    case QUARTER_FRAME:
      return { type: 'quarterFrame', ...base(0), data: [a >> 4, a & 0x0f] };
    case SONG_POSITION:
      return { type: 'songPos', ...base(0), value: a | (b << 7) };
    default:
      return { type: 'songSel', ...base(0), value: a };
  }
}

function joinSegments(segments: Segments | undefined, last: readonly number[], length: number): number[] {
  const data = new Array<number>(length);
  let end = length;
  for (let i = last.length - 1; i >= 0; i--) data[--end] = last[i] ?? 0;
  for (let s = segments; s !== undefined; s = s.previous) {
    end -= s.bytes.length;
    for (let i = 0; i < s.bytes.length; i++) data[end + i] = s.bytes[i] ?? 0;
  }
  return data;
}

/** Folds one chunk of MIDI bytes into the parser state (see the file comment). */
export function parseMidiChunk(
  state: MidiParserState,
  chunk: Uint8Array,
  opts: { port: number; date?: number },
): MidiChunkResult {
  const { port, date } = opts;
  const dated = date === undefined ? {} : { date };
  const events: MidiEvent[] = [];
  const dropped: string[] = [];
  let status = state.status;
  let data: number[] = [...state.data];
  let inSysEx = state.sysEx !== undefined;
  let sysExLength = state.sysEx?.length ?? 0;
  let sysExSegments = state.sysEx?.segments;
  /** SysEx data bytes of this chunk, while they still fit. */
  let sysExBytes: number[] = [];
  let stray = 0;

  const endSysEx = () => {
    inSysEx = false;
    sysExLength = 0;
    sysExSegments = undefined;
    sysExBytes = [];
  };

  for (const byte of chunk) {
    if (byte >= 0xf8) {
      const type = REALTIME.get(byte);
      if (type !== undefined) events.push({ type, ...dated, port, chan: 0 });
      continue;
    }
    if (inSysEx) {
      if (byte < 0x80) {
        sysExLength++;
        if (sysExLength <= MAX_SYSEX_DATA) sysExBytes.push(byte);
        else if (sysExLength === MAX_SYSEX_DATA + 1) {
          // Too long to keep: from here on it is only counted, so memory stays bounded.
          sysExSegments = undefined;
          sysExBytes = [];
        }
        continue;
      }
      if (byte === END_OF_SYSEX) {
        if (sysExLength > MAX_SYSEX_DATA) {
          dropped.push(`SysEx of ${sysExLength} data bytes dropped: longer than ${MAX_SYSEX_DATA}`);
        } else {
          const bytes = joinSegments(sysExSegments, sysExBytes, sysExLength);
          events.push({ type: 'sysEx', ...dated, port, chan: 0, data: bytes });
        }
        endSysEx();
        continue;
      }
      dropped.push(`SysEx of ${sysExLength} data bytes dropped: cut short by status ${hex(byte)}`);
      endSysEx();
      // …and the status byte is read as usual.
    }
    if (byte < 0x80) {
      if (status === 0) {
        stray++;
        continue;
      }
      data.push(byte);
      if (data.length < dataLength(status)) continue;
      events.push(messageEvent(status, data, port, date));
      data = [];
      // Only channel messages repeat by running status.
      if (status >= 0xf0) status = 0;
      continue;
    }
    data = [];
    if (byte < 0xf0) {
      status = byte;
      continue;
    }
    // System common: cancels running status.
    status = 0;
    if (byte === SYSEX) inSysEx = true;
    else if (byte === TUNE_REQUEST) events.push({ type: 'tune', ...dated, port, chan: 0 });
    else if (dataLength(byte) > 0) status = byte;
    else if (byte === END_OF_SYSEX) dropped.push('F7 (end of SysEx) without a SysEx ignored');
    else dropped.push(`undefined status ${hex(byte)} ignored`);
  }

  if (stray > 0) dropped.push(`${stray} data byte${stray === 1 ? '' : 's'} without a status byte ignored`);
  if (sysExBytes.length > 0) sysExSegments = { bytes: Uint8Array.from(sysExBytes), previous: sysExSegments };
  const sysEx = inSysEx ? { length: sysExLength, segments: sysExSegments } : undefined;
  return { state: { status, data, sysEx }, events, dropped };
}

const clamp7 = (value: number): number => value & 0x7f;

function message(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function controlChanges(chan: number, pairs: readonly (readonly [number, number])[]): Uint8Array[] {
  return pairs.map(([ctrl, value]) => message(CONTROL_CHANGE | chan, ctrl, clamp7(value)));
}

/**
 * The MIDI 1.0 messages of an event, one array each, with status bytes.
 * - note: its key-on only, as the original's MidiStreamPutEvent does; the key
 *   off is expandNote's second event, to play `dur` ms later. A MIDI output
 *   expands notes before it gets here.
 * - ctrl14b: CC ctrl (MSB), then CC ctrl+32 (LSB).
 * - nonRegParam / regParam: CC 99/98 (or 101/100) with the parameter number's
 *   MSB/LSB, then CC 6 and CC 38 with the value's MSB/LSB.
 * - pitchWheel, songPos: LSB then MSB of the 14-bit value.
 * - stream: its bytes as they are, as one array (none when empty).
 * - MIDI file meta types (seqNum, text types, chanPrefix, endTrack, tempo,
 *   smpteOffset, timeSign, keySign) and specific: nothing.
 * Fields are masked to their MIDI width, as the original's Byte fields are,
 * so the bytes are well-formed MIDI whatever the event holds.
 */
export function eventToMidiBytes(e: MidiEvent): Uint8Array[] {
  const chan = e.chan & 0x0f;
  switch (e.type) {
    case 'note':
    case 'keyOn':
      return [message(0x90 | chan, clamp7(e.pitch), clamp7(e.vel))];
    case 'keyOff':
      return [message(0x80 | chan, clamp7(e.pitch), clamp7(e.vel))];
    case 'keyPress':
      return [message(0xa0 | chan, clamp7(e.pitch), clamp7(e.vel))];
    case 'ctrlChange':
      return [message(CONTROL_CHANGE | chan, clamp7(e.ctrl), clamp7(e.value))];
    case 'progChange':
      return [message(0xc0 | chan, clamp7(e.value))];
    case 'chanPress':
      return [message(0xd0 | chan, clamp7(e.value))];
    case 'pitchWheel':
      return [message(0xe0 | chan, clamp7(e.value), clamp7(e.value >> 7))];
    case 'songPos':
      return [message(SONG_POSITION, clamp7(e.value), clamp7(e.value >> 7))];
    case 'songSel':
      return [message(SONG_SELECT, clamp7(e.value))];
    case 'clock':
      return [message(0xf8)];
    case 'start':
      return [message(0xfa)];
    case 'continue':
      return [message(0xfb)];
    case 'stop':
      return [message(0xfc)];
    case 'tune':
      return [message(TUNE_REQUEST)];
    case 'activeSens':
      return [message(0xfe)];
    case 'reset':
      return [message(0xff)];
    case 'sysEx':
      return [Uint8Array.from([SYSEX, ...e.data.map(clamp7), END_OF_SYSEX])];
    case 'stream':
      return e.data.length === 0 ? [] : [Uint8Array.from(e.data)];
    case 'quarterFrame':
      return [message(QUARTER_FRAME, (((e.data[0] ?? 0) & 0x07) << 4) | ((e.data[1] ?? 0) & 0x0f))];
    case 'ctrl14b': {
      const ctrl = e.ctrl & 0x1f;
      return controlChanges(chan, [
        [ctrl, e.value >> 7],
        [ctrl + 32, e.value],
      ]);
    }
    case 'nonRegParam':
    case 'regParam': {
      const [msb, lsb] = e.type === 'nonRegParam' ? [99, 98] : [101, 100];
      return controlChanges(chan, [
        [msb, e.ctrl >> 7],
        [lsb, e.ctrl],
        [6, e.value >> 7],
        [38, e.value],
      ]);
    }
    case 'seqNum':
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
    case 'chanPrefix':
    case 'endTrack':
    case 'tempo':
    case 'smpteOffset':
    case 'timeSign':
    case 'keySign':
    case 'specific':
      return [];
  }
}
