/**
 * packetizeGroups(maxEventBytes, fine): the groups of ONE stream → the packets
 * that carry them, numbered by one serial counter from 1 (SPEC §5.2, §5.3).
 * `fine()`, asked per group, says whether the peer reads fine dates (SPEC §11,
 * wire/fine-dates.ts): its packets then carry them, with the event bytes
 * their trailer leaves room for.
 *
 * ```
 * maxEventBytes = 480
 * groups:   ----x-----------y-----|     x: D 14, 3 keyOns (27 bytes)   y: D 30, a 1,000-byte SysEx (1,007 bytes)
 * output:   ----a-----------b-----|     a = { packets: [serial 1 (date 14)], events: 3 }
 *                                       b = { packets: [serial 2 (date 30), 3 and 4 (date 0: continuations,
 *                                             offsets 480 and 47)], events: 1 }
 * ```
 * A group with no events takes no serial and puts out nothing.
 *
 * Scheduler: none (a fold over the serial counter).
 */
import { filter, map, scan, type OperatorFunction } from 'rxjs';
import type { EventGroup } from '../model/pipeline.js';
import type { MidiPacket } from '../wire/packet.js';
import { fineMaxEventBytes } from '../wire/fine-dates.js';
import { packetize } from '../wire/packetizer.js';

/** One group on the wire: its packets, and how many events they carry (for statistics and drain). */
export interface PacketizedGroup {
  packets: MidiPacket[];
  events: number;
}

interface Numbered extends PacketizedGroup {
  nextSerial: number;
}

export function packetizeGroups(
  maxEventBytes: number,
  fine: () => boolean = () => false,
): OperatorFunction<EventGroup, PacketizedGroup> {
  return (groups) =>
    groups.pipe(
      scan<EventGroup, Numbered>(
        ({ nextSerial }, group) => {
          const fineDates = fine();
          const packets = packetize(group.events, {
            firstSerial: nextSerial,
            date: group.date,
            maxEventBytes: fineDates ? fineMaxEventBytes(maxEventBytes) : maxEventBytes,
            fine: fineDates,
          });
          return { nextSerial: (nextSerial + packets.length) >>> 0, packets, events: group.events.length };
        },
        { nextSerial: 1, packets: [], events: 0 },
      ),
      filter(({ packets }) => packets.length > 0),
      map(({ packets, events }) => ({ packets, events })),
    );
}
