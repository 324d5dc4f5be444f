/**
 * The sending side of a Midi stream (SPEC §4, §5.3; the original's
 * TMidiOutStream::Put and Flush): one grouping period's events become the
 * event bytes of one packet, continued in further packets when they exceed
 * the size limit. Like the original, it fills each packet to the limit and
 * cuts events at any byte; the first packet carries `date`, the
 * continuations date 0 and an `offset` saying how many leading bytes finish
 * the event begun in the packet before (all of them when the event goes on).
 */
import { Buffer } from 'node:buffer';
import type { MidiEvent } from '../model/event.js';
import { encodeEventInto, encodedEventLength } from './event-codec.js';
import { MAX_MIDI_COUNT } from './codec.js';
import type { MidiPacket } from './packet.js';

export interface PacketizeOptions {
  /** Serial of the first packet; each further packet takes the next (u32, wrapping). */
  firstSerial: number;
  /** Sender clock at collection (u32); 0 would read as a continuation. */
  date: number;
  /** Event bytes per packet: LAN_MAX_EVENT_BYTES (1468) or WAN_MAX_EVENT_BYTES (480). */
  maxEventBytes: number;
}

/**
 * Events (their `date` the relative date) as packets, in order; none for no
 * events. Throws a RangeError for a limit outside 1..32767 (a caller's bug).
 */
export function packetize(events: readonly MidiEvent[], opts: PacketizeOptions): MidiPacket[] {
  const { firstSerial, date, maxEventBytes } = opts;
  if (!Number.isInteger(maxEventBytes) || maxEventBytes < 1 || maxEventBytes > MAX_MIDI_COUNT) {
    throw new RangeError(`maxEventBytes must be an integer in 1..${MAX_MIDI_COUNT}, not ${maxEventBytes}`);
  }
  // One buffer for the whole group, each event written straight into it.
  let size = 0;
  for (const e of events) size += encodedEventLength(e);
  const stream = Buffer.allocUnsafe(size);
  /** Where each event ends in the stream, to find the one a packet boundary cuts. */
  const ends: number[] = [];
  let position = 0;
  for (const e of events) ends.push((position = encodeEventInto(e, e.date ?? 0, stream, position)));
  if (position !== size)
    throw new Error(`packetize: events took ${position} bytes, not the ${size} foreseen`);

  const packets: MidiPacket[] = [];
  let event = 0;
  for (let start = 0; start < stream.length; start += maxEventBytes) {
    const end = Math.min(start + maxEventBytes, stream.length);
    while ((ends[event] ?? Infinity) <= start) event += 1;
    const eventStart = event === 0 ? 0 : (ends[event - 1] ?? 0);
    const cut = eventStart < start;
    packets.push({
      kind: 'midi',
      serial: (firstSerial + packets.length) >>> 0,
      date: packets.length === 0 ? date >>> 0 : 0,
      offset: cut ? Math.min(ends[event] ?? end, end) - start : 0,
      events: stream.subarray(start, end),
    });
  }
  return packets;
}
