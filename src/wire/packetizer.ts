/**
 * The sending side of a Midi stream (SPEC §4, §5.3; the original's
 * TMidiOutStream::Put and Flush): one grouping period's events become the
 * event bytes of one packet, continued in further packets when they exceed
 * the size limit. Like the original, it fills each packet to the limit and
 * cuts events at any byte; the first packet carries `date`, the
 * continuations date 0 and an `offset` saying how many leading bytes finish
 * the event begun in the packet before (all of them when the event goes on).
 * Dates go out in whole milliseconds; with `fine`, each packet also carries
 * what that rounding left out (fine-dates.ts).
 */
import { Buffer } from 'node:buffer';
import type { MidiEvent } from '../model/event.js';
import { encodeEventInto, encodedEventLength } from './event-codec.js';
import { MAX_MIDI_COUNT } from './codec.js';
import { splitDate } from './fine-dates.js';
import type { MidiPacket } from './packet.js';

export interface PacketizeOptions {
  /** Serial of the first packet; each further packet takes the next (u32, wrapping). */
  firstSerial: number;
  /** Sender clock at collection, written in whole ms (u32); 0 would read as a continuation. */
  date: number;
  /** Event bytes per packet: LAN_MAX_EVENT_BYTES (1468) or WAN_MAX_EVENT_BYTES (480); with `fine`, fineMaxEventBytes of those. */
  maxEventBytes: number;
  /** Fine dates for a peer that reads them: the sub-ms parts of `date` and of the events' dates. */
  fine?: boolean;
}

/**
 * Events (their `date` the relative date, to the whole ms of `date` − G) as
 * packets, in order; none for no events. Throws a RangeError for a limit
 * outside 1..32767 (a caller's bug).
 */
export function packetize(events: readonly MidiEvent[], opts: PacketizeOptions): MidiPacket[] {
  const { firstSerial, maxEventBytes, fine = false } = opts;
  const date = splitDate(opts.date);
  if (!Number.isInteger(maxEventBytes) || maxEventBytes < 1 || maxEventBytes > MAX_MIDI_COUNT) {
    throw new RangeError(`maxEventBytes must be an integer in 1..${MAX_MIDI_COUNT}, not ${maxEventBytes}`);
  }
  // One buffer for the whole group, each event written straight into it.
  let size = 0;
  for (const e of events) size += encodedEventLength(e);
  const stream = Buffer.allocUnsafe(size);
  /** Where each event begins and ends in the stream, and what rounding its date to whole ms left out. */
  const starts: number[] = [];
  const ends: number[] = [];
  const fractions: number[] = [];
  let position = 0;
  for (const e of events) {
    const { whole, fraction } = splitDate(e.date ?? 0);
    starts.push(position);
    fractions.push(fraction);
    ends.push((position = encodeEventInto(e, whole, stream, position)));
  }
  if (position !== size)
    throw new Error(`packetize: events took ${position} bytes, not the ${size} foreseen`);

  const packets: MidiPacket[] = [];
  let event = 0;
  for (let start = 0; start < stream.length; start += maxEventBytes) {
    const end = Math.min(start + maxEventBytes, stream.length);
    while ((ends[event] ?? Infinity) <= start) event += 1;
    const cut = (starts[event] ?? start) < start;
    const packet: MidiPacket = {
      kind: 'midi',
      serial: (firstSerial + packets.length) >>> 0,
      date: packets.length === 0 ? date.whole >>> 0 : 0,
      offset: cut ? Math.min(ends[event] ?? end, end) - start : 0,
      events: stream.subarray(start, end),
    };
    packets.push(fine ? { ...packet, fine: fineDates(cut ? event + 1 : event, end) } : packet);
  }
  return packets;

  /** A packet's fine dates: its group date's, then those of the events `first`… that begin before `end`. */
  function fineDates(first: number, end: number) {
    let last = first;
    while (last < events.length && (starts[last] ?? Infinity) < end) last += 1;
    return { date: date.fraction, events: fractions.slice(first, last) };
  }
}
