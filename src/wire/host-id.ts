/**
 * This station's HostID (SPEC §5.1, §11): its clock in whole ms, which every
 * station reads, and after the name's NUL the capabilities msinet peers read:
 * the clock's fraction (fine dates), a reliable path for port 255, and on a
 * WAN its station id and UDP port (capabilities.ts).
 */
import { encodeCapabilities, type Capabilities } from './capabilities.js';
import { splitDate } from './fine-dates.js';
import type { HostIdPacket } from './packet.js';

export function hostIdPacket(
  name: string,
  now: number,
  also: Omit<Capabilities, 'fineDates'> = {},
): HostIdPacket {
  const clock = splitDate(now);
  return {
    kind: 'hostId',
    clock: clock.whole >>> 0,
    name,
    extra: encodeCapabilities({ fineDates: { clockFraction: clock.fraction }, ...also }),
  };
}
