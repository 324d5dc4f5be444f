/**
 * Capabilities, an msinet extension (SPEC §11): what a station announces
 * after the NUL that ends the host name in its HostID. A version-1 station
 * reads the name up to the NUL and ignores the rest; msinet reads:
 *
 *   "msi" 0x01 (magic and format), then entries: u8 tag | u8 length | value
 *
 * Unknown tags are skipped by their length, so later versions can add
 * entries; bytes that do not follow this form announce nothing (the sender
 * is then a version-1 station, as far as msinet is concerned).
 *
 * Entries:
 *   tag 1, fine dates (fine-dates.ts), length 1: i8 the fraction of this
 *   HostID's clock. Its presence says the station reads type-8 packets.
 *   tag 2, reliable path, length 0: the station takes port-255 events over TCP
 *   on its driver port (SPEC §6); without it they join its UDP stream.
 *   tag 3, station id, length 8: random per driver run. In a WAN link's hello
 *   and in the HostIDs sent over it, it ties the UDP to the TCP link (SPEC §7).
 *   tag 4, UDP port, length 2 (u16): where the station's UDP listens.
 */
import { Buffer } from 'node:buffer';
import { fineFraction, fineStep } from './fine-dates.js';

export interface Capabilities {
  /** Reads fine-dated Midi packets; `clockFraction` is the HostID clock's sub-ms part. */
  fineDates?: { clockFraction: number };
  /** Takes port-255 events over TCP on its driver port. */
  reliable?: true;
  /** 8 random bytes per driver run (hex here): ties a WAN link's UDP to its TCP. */
  stationId?: string;
  /** Where the station's UDP listens. */
  udpPort?: number;
}

const MAGIC = [0x6d, 0x73, 0x69, 0x01];
const TAG_FINE_DATES = 1;
const TAG_RELIABLE = 2;
const TAG_STATION_ID = 3;
const TAG_UDP_PORT = 4;
const STATION_ID_BYTES = 8;

export function encodeCapabilities(capabilities: Capabilities): Uint8Array {
  const bytes = [...MAGIC];
  if (capabilities.fineDates !== undefined) {
    bytes.push(TAG_FINE_DATES, 1, fineStep(capabilities.fineDates.clockFraction) & 0xff);
  }
  if (capabilities.reliable) bytes.push(TAG_RELIABLE, 0);
  const id = Buffer.from(capabilities.stationId ?? '', 'hex');
  if (id.length === STATION_ID_BYTES) bytes.push(TAG_STATION_ID, STATION_ID_BYTES, ...id);
  if (capabilities.udpPort !== undefined)
    bytes.push(TAG_UDP_PORT, 2, capabilities.udpPort >> 8, capabilities.udpPort & 0xff);
  return Uint8Array.from(bytes);
}

/** Never throws: whatever does not parse announces nothing. */
export function decodeCapabilities(extra: Uint8Array): Capabilities {
  if (extra.length < MAGIC.length || MAGIC.some((byte, i) => extra[i] !== byte)) return {};
  const capabilities: Capabilities = {};
  let at = MAGIC.length;
  while (at + 2 <= extra.length) {
    const tag = extra[at] as number;
    const length = extra[at + 1] as number;
    const value = extra.subarray(at + 2, at + 2 + length);
    if (value.length < length) break;
    if (tag === TAG_FINE_DATES && length >= 1) {
      capabilities.fineDates = { clockFraction: fineFraction(((value[0] as number) << 24) >> 24) };
    }
    if (tag === TAG_RELIABLE) capabilities.reliable = true;
    if (tag === TAG_STATION_ID && length === STATION_ID_BYTES)
      capabilities.stationId = Buffer.from(value).toString('hex');
    if (tag === TAG_UDP_PORT && length === 2)
      capabilities.udpPort = ((value[0] as number) << 8) | (value[1] as number);
    at += 2 + length;
  }
  return capabilities;
}
