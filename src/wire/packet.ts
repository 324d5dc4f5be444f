/**
 * Version-1 packets (SPEC §5.1, §5.2) as values. The codec in `codec.ts`
 * turns them into bytes and back; nothing here touches a socket.
 */

export const MAGIC = 0x1001;
export const VERSION = 1;
/** magic u16, version u8, type u8. */
export const COMMON_HEADER_SIZE = 4;
/** Common header plus serial u32, date u32, count i16, offset i16. */
export const MIDI_HEADER_SIZE = 16;
/** Event bytes per Midi packet. */
export const LAN_MAX_EVENT_BYTES = 1468;
export const WAN_MAX_EVENT_BYTES = 480;

export const PACKET_TYPES = {
  hostId: 1,
  bye: 2,
  echo: 3,
  echoReply: 4,
  midi: 5,
  tcpBye: 6,
  tcpCnxRefused: 7,
  /** msinet extension: a Midi packet with fine dates (fine-dates.ts), sent only to peers that read it. */
  fineMidi: 8,
  /** msinet extension: the first packet an msinet station sends on a WAN link (TCP only); others ignore it. */
  linkHello: 9,
} as const;

export interface HostIdPacket {
  kind: 'hostId';
  /** Sender clock, ms, u32. */
  clock: number;
  /** Host name, before the NUL. */
  name: string;
  /** Bytes after the NUL: msinet capabilities (SPEC §11); empty from a version-1 station. */
  extra: Uint8Array;
}

export interface ByePacket {
  kind: 'bye';
}

export interface EchoPacket {
  kind: 'echo' | 'echoReply';
  /** 8 opaque bytes. */
  payload: Uint8Array;
}

export interface MidiPacket {
  kind: 'midi';
  /** Per stream, from 1, +1 per packet (continuations included), u32. */
  serial: number;
  /** Sender clock at collection (ms, u32); 0 marks a continuation packet. */
  date: number;
  /** Leading bytes of `events` that finish an event begun in the previous packet. */
  offset: number;
  /** The event bytes (`count` of them on the wire). */
  events: Uint8Array;
  /** Fine dates (msinet extension, type 8): what `date` and the events' dates leave out. */
  fine?: FineDates;
}

/** Sub-millisecond parts, in ms, each in [−0.5, 0.5] (fine-dates.ts). */
export interface FineDates {
  /** Of the group's date (a continuation carries its group's). */
  date: number;
  /** Of each event that begins in the packet, in order: exact relative date − the whole one on the wire. */
  events: readonly number[];
}

export interface TcpByePacket {
  kind: 'tcpBye';
  /** 100 for the original. */
  version: number;
  maxLat: number;
  late: number;
  missing: number;
}

/** Why a TCP connection was refused (SPEC §5.1, type 7). */
export const REFUSAL_REASONS = { tooManyClients: 1, alreadyConnected: 2, serverError: 3 } as const;

export interface TcpCnxRefusedPacket {
  kind: 'tcpCnxRefused';
  reason: number;
}

/**
 * An msinet station saying who it is on a WAN link (SPEC §7, §11): its
 * capabilities (capabilities.ts), among them the station id its UDP HostIDs
 * carry too, so the other end can match that UDP to this link behind NAT or
 * with several stations on one address.
 */
export interface LinkHelloPacket {
  kind: 'linkHello';
  capabilities: Uint8Array;
}

export type Packet =
  HostIdPacket | ByePacket | EchoPacket | MidiPacket | TcpByePacket | TcpCnxRefusedPacket | LinkHelloPacket;
