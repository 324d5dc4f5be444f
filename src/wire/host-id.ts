/**
 * This station's HostID (SPEC §5.1, §11): its clock in whole ms, which every
 * station reads, and after the name's NUL the capabilities msinet peers read:
 * the clock's fraction (fine dates) and a reliable path for port 255.
 */
import { encodeCapabilities } from './capabilities.js';
import { splitDate } from './fine-dates.js';
import type { HostIdPacket } from './packet.js';

export function hostIdPacket(name: string, now: number, reliable: boolean): HostIdPacket {
  const clock = splitDate(now);
  return {
    kind: 'hostId',
    clock: clock.whole >>> 0,
    name,
    extra: encodeCapabilities({
      fineDates: { clockFraction: clock.fraction },
      ...(reliable ? { reliable } : {}),
    }),
  };
}
