/**
 * packetizeGroups(maxEventBytes): the groups of ONE stream → the packets that
 * carry them, numbered by one serial counter from 1 (SPEC §5.2, §5.3).
 *
 * ```
 * maxEventBytes = 480
 * groups:   ----g1----------g2-----|     g1: 3 events (27 bytes); g2: a 1,000-byte SysEx
 * output:   ----a-----------b------|     a = { packets: [serial 1], events: 3 }
 *                                        b = { packets: [serial 2 (date D), 3 (date 0, continuation), 4 (…)], events: 1 }
 * ```
 * Scheduler: none (a fold over the serial counter).
 */
import { filter, map, scan, type OperatorFunction } from 'rxjs';
import type { EventGroup } from '../model/pipeline.js';
import type { MidiPacket } from '../wire/packet.js';
import { packetize } from '../wire/packetizer.js';

/** One group on the wire: its packets, and how many events they carry (for statistics and drain). */
export interface PacketizedGroup {
  packets: MidiPacket[];
  events: number;
}

interface Numbered extends PacketizedGroup {
  nextSerial: number;
}

export function packetizeGroups(maxEventBytes: number): OperatorFunction<EventGroup, PacketizedGroup> {
  return (groups) =>
    groups.pipe(
      scan<EventGroup, Numbered>(
        ({ nextSerial }, group) => {
          const packets = packetize(group.events, {
            firstSerial: nextSerial,
            date: group.date,
            maxEventBytes,
          });
          return { nextSerial: (nextSerial + packets.length) >>> 0, packets, events: group.events.length };
        },
        { nextSerial: 1, packets: [], events: 0 },
      ),
      filter(({ packets }) => packets.length > 0),
      map(({ packets, events }) => ({ packets, events })),
    );
}
