/**
 * One event <-> its bytes in a Midi packet's stream (SPEC §5.4, the original's
 * EventToUDPStream.c and UDPStreamToEvent.c):
 *
 *   len u16 | type u8 | date i16 | port u8 | chan u8 | payload
 *
 * `len` counts the bytes after itself (5 + payload), so an event takes
 * 2 + len bytes. The date is relative to (packet date − G) and signed: the
 * original sends ffff (−1) for events its clients sent "now". Field order and
 * widths follow the original; docs/protocol.md has the table.
 */
import { Buffer } from 'node:buffer';
import { type MidiEvent, type EventType, TYPE_CODES, typeOfCode } from '../model/event.js';
import { type Result, ok, fail } from '../model/result.js';
import { decodeText, encodeText } from './text.js';

/** len u16, type u8, date i16, port u8, chan u8. */
export const EVENT_HEADER_SIZE = 7;
/** The bytes `len` counts besides the payload: type, date, port, chan. */
const LEN_OVERHEAD = 5;
/** `len` is a u16. */
export const MAX_EVENT_LEN = 0xffff;
/** The most bytes one event takes on the wire (the len field plus what it counts). */
export const MAX_EVENT_BYTES = 2 + MAX_EVENT_LEN;
/** The most payload bytes one event carries (65,530: MAX_SYSEX_DATA). */
export const MAX_PAYLOAD_BYTES = MAX_EVENT_LEN - LEN_OVERHEAD;

export interface DecodedEvent {
  /** `date` is the relative date, as on the wire. */
  event: MidiEvent;
  /** Bytes the event took: 2 + len. */
  length: number;
}

/**
 * Payload size of every type whose payload is fixed; the others (sysEx,
 * stream, the texts, specific) take whatever `len` says.
 */
const FIXED_PAYLOAD: Partial<Record<EventType, number>> = {
  note: 4,
  keyOn: 2,
  keyOff: 2,
  keyPress: 2,
  ctrlChange: 2,
  progChange: 1,
  chanPress: 1,
  pitchWheel: 2,
  songPos: 2,
  songSel: 1,
  clock: 0,
  start: 0,
  continue: 0,
  stop: 0,
  tune: 0,
  activeSens: 0,
  reset: 0,
  quarterFrame: 2,
  ctrl14b: 4,
  nonRegParam: 4,
  regParam: 4,
  seqNum: 2,
  chanPrefix: 1,
  endTrack: 0,
  tempo: 4,
  smpteOffset: 4,
  timeSign: 4,
  keySign: 2,
};

/** The payload size of a type, undefined for variable-length ones (sysEx, stream, texts, specific). */
export function fixedPayloadSize(type: EventType): number | undefined {
  return FIXED_PAYLOAD[type];
}

/** A 14-bit MIDI value as two 7-bit bytes, LSB first (PitchWheel, SongPos). */
const lsb = (value: number) => value & 0x7f;
const msb = (value: number) => (value >> 7) & 0x7f;

/** Fixed-size byte payloads (quarterFrame, smpteOffset, timeSign, keySign): missing bytes are 0, extra ones dropped. */
const fixedBytes = (data: readonly number[], size: number) =>
  Array.from({ length: size }, (_, i) => data[i] ?? 0);

function payloadOf(e: MidiEvent): Uint8Array | number[] {
  switch (e.type) {
    case 'note':
      return [e.pitch, e.vel, e.dur >> 8, e.dur];
    case 'keyOn':
    case 'keyOff':
    case 'keyPress':
      return [e.pitch, e.vel];
    case 'ctrlChange':
      return [e.ctrl, e.value];
    // The original sends the value first, then the controller or parameter number
    // (Linearize2Shorts: info.param.val, then info.param.num).
    case 'ctrl14b':
    case 'nonRegParam':
    case 'regParam':
      return [e.value >> 8, e.value, e.ctrl >> 8, e.ctrl];
    case 'progChange':
    case 'chanPress':
    case 'songSel':
    case 'chanPrefix':
      return [e.value];
    case 'pitchWheel':
    case 'songPos':
      return [lsb(e.value), msb(e.value)];
    case 'seqNum':
      return [e.value >> 8, e.value];
    case 'tempo':
      return [e.value >>> 24, e.value >>> 16, e.value >>> 8, e.value];
    case 'clock':
    case 'start':
    case 'continue':
    case 'stop':
    case 'tune':
    case 'activeSens':
    case 'reset':
    case 'endTrack':
      return [];
    case 'quarterFrame':
    case 'keySign':
      return fixedBytes(e.data, 2);
    case 'smpteOffset':
    case 'timeSign':
      return fixedBytes(e.data, 4);
    case 'sysEx':
    case 'stream':
    case 'specific':
      return e.data;
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
      return encodeText(e.text);
  }
}

/** Clamped rather than wrapped: a date out of range stays early or late instead of jumping across. */
const toI16 = (n: number) => Math.max(-0x8000, Math.min(0x7fff, Math.trunc(n)));

/**
 * The bytes of one event dated `relDate` (relative to packet date − G, i16).
 * Numeric fields are cut to their wire width, as the original's casts do.
 * Throws a RangeError when the payload exceeds MAX_PAYLOAD_BYTES: callers
 * refuse such events first (SPEC §5.4; see `encodedEventLength`).
 */
export function encodeEvent(e: MidiEvent, relDate: number): Buffer {
  const payload = checkedPayload(e);
  const bytes = Buffer.allocUnsafe(EVENT_HEADER_SIZE + payload.length);
  writeEvent(e, relDate, payload, bytes, 0);
  return bytes;
}

/**
 * `encodeEvent` written into `target` at `at` (which must have room for
 * `encodedEventLength(e)` bytes); answers where the event ends. A packetizer
 * fills one buffer with many events this way, without a buffer per event.
 */
export function encodeEventInto(e: MidiEvent, relDate: number, target: Buffer, at: number): number {
  const payload = checkedPayload(e);
  writeEvent(e, relDate, payload, target, at);
  return at + EVENT_HEADER_SIZE + payload.length;
}

function checkedPayload(e: MidiEvent): Uint8Array | number[] {
  const payload = payloadOf(e);
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`${e.type} payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
  return payload;
}

function writeEvent(
  e: MidiEvent,
  relDate: number,
  payload: Uint8Array | number[],
  bytes: Buffer,
  at: number,
): void {
  bytes.writeUInt16BE(LEN_OVERHEAD + payload.length, at);
  bytes[at + 2] = TYPE_CODES[e.type];
  bytes.writeInt16BE(toI16(relDate), at + 3);
  bytes[at + 5] = e.port & 0xff;
  bytes[at + 6] = e.chan & 0xff;
  // Typed-array assignment keeps the low 8 bits of each number, the width cut we want.
  bytes.set(payload, at + EVENT_HEADER_SIZE);
}

/** How many bytes `encodeEvent` would produce, without producing them. */
export function encodedEventLength(e: MidiEvent): number {
  const fixed = FIXED_PAYLOAD[e.type];
  if (fixed !== undefined) return EVENT_HEADER_SIZE + fixed;
  if ('text' in e) return EVENT_HEADER_SIZE + Buffer.byteLength(e.text, 'utf8');
  return EVENT_HEADER_SIZE + ('data' in e ? e.data.length : 0);
}

/*
 * Reads at positions already checked against the length. Plain indexing and
 * module-level helpers: a DataView, a subarray or closures per event cost more
 * than the decoding itself.
 */
const byteAt = (bytes: Uint8Array, i: number) => bytes[i]!;
const wordAt = (bytes: Uint8Array, i: number) => (bytes[i]! << 8) | bytes[i + 1]!;

/**
 * Reads the event that starts at `at`. Fails with a short, stable reason:
 * 'truncated event', 'bad event length' (len < 5: the stream is lost),
 * 'unknown event type N' or 'bad length for TYPE' (skip them by their len).
 */
export function decodeEvent(bytes: Uint8Array, at: number): Result<DecodedEvent> {
  if (!Number.isInteger(at) || at < 0 || at + 2 > bytes.length) return fail('truncated event');
  const len = wordAt(bytes, at);
  if (len < LEN_OVERHEAD) return fail('bad event length');
  const length = 2 + len;
  if (at + length > bytes.length) return fail('truncated event');
  const code = byteAt(bytes, at + 2);
  const type = typeOfCode(code);
  if (type === undefined) return fail(`unknown event type ${code}`);
  const payloadSize = len - LEN_OVERHEAD;
  const fixed = FIXED_PAYLOAD[type];
  if (fixed !== undefined && fixed !== payloadSize) return fail(`bad length for ${type}`);
  const date = (wordAt(bytes, at + 3) << 16) >> 16; // sign-extends the i16
  const head: EventHead = { type, date, port: byteAt(bytes, at + 5), chan: byteAt(bytes, at + 6) };
  return ok({ event: eventOf(head, bytes, at + EVENT_HEADER_SIZE, payloadSize), length });
}

interface EventHead {
  type: EventType;
  date: number;
  port: number;
  chan: number;
}

/** The payload is the `size` bytes of `bytes` from `p`. */
function eventOf(
  { type, date, port, chan }: EventHead,
  bytes: Uint8Array,
  p: number,
  size: number,
): MidiEvent {
  // The common fields are written out, not spread: spreading costs several times more per event.
  switch (type) {
    case 'note':
      return {
        type,
        date,
        port,
        chan,
        pitch: byteAt(bytes, p),
        vel: byteAt(bytes, p + 1),
        dur: wordAt(bytes, p + 2),
      };
    case 'keyOn':
    case 'keyOff':
    case 'keyPress':
      return { type, date, port, chan, pitch: byteAt(bytes, p), vel: byteAt(bytes, p + 1) };
    case 'ctrlChange':
      return { type, date, port, chan, ctrl: byteAt(bytes, p), value: byteAt(bytes, p + 1) };
    case 'ctrl14b':
    case 'nonRegParam':
    case 'regParam':
      return { type, date, port, chan, ctrl: wordAt(bytes, p + 2), value: wordAt(bytes, p) };
    case 'progChange':
    case 'chanPress':
    case 'songSel':
    case 'chanPrefix':
      return { type, date, port, chan, value: byteAt(bytes, p) };
    case 'pitchWheel':
    case 'songPos':
      return {
        type,
        date,
        port,
        chan,
        value: (byteAt(bytes, p) & 0x7f) | ((byteAt(bytes, p + 1) & 0x7f) << 7),
      };
    case 'seqNum':
      return { type, date, port, chan, value: wordAt(bytes, p) };
    case 'tempo':
      return { type, date, port, chan, value: ((wordAt(bytes, p) << 16) | wordAt(bytes, p + 2)) >>> 0 };
    case 'clock':
    case 'start':
    case 'continue':
    case 'stop':
    case 'tune':
    case 'activeSens':
    case 'reset':
    case 'endTrack':
      return { type, date, port, chan };
    case 'quarterFrame':
    case 'keySign':
    case 'smpteOffset':
    case 'timeSign':
    case 'sysEx':
    case 'stream':
    case 'specific':
      return { type, date, port, chan, data: Array.from(bytes.subarray(p, p + size)) };
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
      return { type, date, port, chan, text: decodeText(bytes.subarray(p, p + size)) };
  }
}
