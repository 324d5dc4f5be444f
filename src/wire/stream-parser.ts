/**
 * The receiving side of a Midi stream (SPEC §5.3; the original's
 * TMidiInStream and UDPStreamToEvent): the event bytes of consecutive packets
 * form one byte stream in which an event may straddle packets. A pure fold
 * over the packets of one stream, in serial order (duplicates already dropped):
 *
 *   feedPacket(state, packet, afterGap) -> { state, events, rejected }
 *
 * It joins events split across packets. After a gap (or an event length below
 * 5, after which the stream cannot be followed) it drops the partial event and
 * resumes at the next packet's `offset`, the bytes that finish an event begun
 * before it. Like the original, it ignores `offset` while the stream is
 * intact. The state holds at most one unfinished event (< MAX_EVENT_BYTES).
 *
 * A fine-dated packet (fine-dates.ts) gives each event that begins in it its
 * sub-ms part, and the group date's: an event's date is then its whole
 * relative date + its fraction − the group date's, relative to the exact
 * group date − G (the date the receiver plans from).
 */
import type { MidiEvent } from '../model/event.js';
import { decodeEvent, MAX_EVENT_BYTES } from './event-codec.js';
import type { MidiPacket } from './packet.js';

/** The most bytes the state holds, whatever it is fed: one event short of its last byte. */
export const MAX_PARTIAL_BYTES = MAX_EVENT_BYTES - 1;

export interface StreamParserState {
  /** The first bytes of an event begun in an earlier packet; shorter than MAX_EVENT_BYTES. */
  readonly partial: Uint8Array;
  /** The parser lost its place: it resumes at the next packet's `offset`. */
  readonly lost: boolean;
  /** What fine dates add to the unfinished event's date (0 without them). */
  readonly partialFraction: number;
}

export interface StreamParserStep {
  state: StreamParserState;
  /** Events finished in this packet, `date` = relative date (i16). */
  events: MidiEvent[];
  /** Why events were dropped (counter keys): decodeEvent's reasons and 'event cut by a gap'. */
  rejected: string[];
}

const NOTHING = new Uint8Array(0);

export function initialStreamParser(): StreamParserState {
  return { partial: NOTHING, lost: false, partialFraction: 0 };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** 2 + len once the two length bytes are known, else undefined. */
function eventSize(first: number | undefined, second: number | undefined): number | undefined {
  return first === undefined || second === undefined ? undefined : 2 + ((first << 8) | second);
}

/** A len below 5 (fewer than 7 bytes in all) comes from no encoder: from there on, event boundaries are unknown. */
const MIN_EVENT_SIZE = 7;

export function feedPacket(
  state: StreamParserState,
  packet: MidiPacket,
  afterGap: boolean,
): StreamParserStep {
  const bytes = packet.events;
  const events: MidiEvent[] = [];
  const rejected: string[] = [];
  let partial = state.partial;
  let partialFraction = state.partialFraction;
  let pos = 0;
  /** What fine dates add to the date of the next event to begin in this packet. */
  const fine = packet.fine;
  let begun = 0;
  const nextFraction = () => (fine === undefined ? 0 : (fine.events[begun++] ?? 0) - fine.date);

  // A dated packet begins a group, and a group begins on an event boundary (the original
  // continues events only in date-0 packets): a partial event still open here lied about its length.
  if (packet.date !== 0 && !afterGap && !state.lost && partial.length > 0) {
    rejected.push('event cut by a new group');
    partial = NOTHING;
  }
  if (afterGap || state.lost) {
    if (partial.length > 0) rejected.push('event cut by a gap');
    partial = NOTHING;
    // offset = count: the whole packet continues an event that may go on in the next one.
    if (packet.offset >= bytes.length)
      return { state: { partial, lost: true, partialFraction: 0 }, events, rejected };
    pos = packet.offset;
  }

  const take = (encoded: Uint8Array, at: number, fraction: number) => {
    const decoded = decodeEvent(encoded, at);
    if (!decoded.ok) return void rejected.push(decoded.reason);
    // A decoded event is a fresh object no one else has seen yet: dated in place, not copied.
    const { event } = decoded.value;
    event.date = (event.date ?? 0) + fraction;
    events.push(event);
  };

  while (pos < bytes.length) {
    const size =
      partial.length === 0
        ? eventSize(bytes[pos], bytes[pos + 1])
        : eventSize(partial[0], partial.length > 1 ? partial[1] : bytes[pos]);
    if (size !== undefined && size < MIN_EVENT_SIZE) {
      rejected.push('bad event length');
      return { state: { partial: NOTHING, lost: true, partialFraction: 0 }, events, rejected };
    }
    if (partial.length === 0 && size !== undefined && pos + size <= bytes.length) {
      take(bytes, pos, nextFraction());
      pos += size;
      continue;
    }
    // The event goes on past this packet, or finishes an event begun before it.
    if (partial.length === 0) partialFraction = nextFraction();
    const wanted = size === undefined ? 2 - partial.length : size - partial.length;
    const end = Math.min(bytes.length, pos + wanted);
    partial = concat(partial, bytes.subarray(pos, end));
    pos = end;
    if (size !== undefined && partial.length === size) {
      take(partial, 0, partialFraction);
      partial = NOTHING;
    }
  }
  return { state: { partial, lost: false, partialFraction }, events, rejected };
}
