/**
 * Version-1 packets <-> bytes (SPEC §5.1, §5.2; the original's TPacket.h and
 * TMidiPacket.h). Decoding never throws: a datagram or frame that is not a
 * packet becomes `fail(reason)`, with a short, stable reason that callers use
 * as a counter key.
 */
import { Buffer } from 'node:buffer';
import { type Result, ok, fail } from '../model/result.js';
import { fineFraction, fineStep } from './fine-dates.js';
import { decodeText, encodeText } from './text.js';
import {
  type Packet,
  type MidiPacket,
  COMMON_HEADER_SIZE,
  MAGIC,
  MIDI_HEADER_SIZE,
  PACKET_TYPES,
  VERSION,
} from './packet.js';

/** Opaque bytes of an Echo: the original's TimeInfo (two 32-bit longs). */
export const ECHO_PAYLOAD_SIZE = 8;
export const ECHO_SIZE = COMMON_HEADER_SIZE + ECHO_PAYLOAD_SIZE;
export const BYE_SIZE = COMMON_HEADER_SIZE;
export const TCP_CNX_REFUSED_SIZE = COMMON_HEADER_SIZE + 2;
/** version, maxLat, late (i16 each), 2 padding bytes, missing u32: the original's struct, whole. */
export const TCP_BYE_SIZE = COMMON_HEADER_SIZE + 12;
/**
 * What the original sends: its length is computed as 3 shorts + 1 long, which
 * forgets the struct's padding, so the padding goes out (uninitialised) and
 * only the upper half of the missing count does.
 */
export const ORIGINAL_TCP_BYE_SIZE = COMMON_HEADER_SIZE + 10;
/** HostID: header, clock u32, then at least the NUL of an empty name. */
const HOST_ID_MIN_SIZE = COMMON_HEADER_SIZE + 4 + 1;
/** Common header and u8 length of the capabilities that follow. */
const LINK_HELLO_MIN_SIZE = COMMON_HEADER_SIZE + 1;
/** The count and offset fields are i16. */
export const MAX_MIDI_COUNT = 0x7fff;

/**
 * A decoded packet owns its bytes, a plain Uint8Array: it outlives the
 * datagram (Buffer.prototype.slice would only be a view).
 */
const copy = (bytes: Uint8Array, from: number) => new Uint8Array(bytes.subarray(from));

function header(type: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  bytes.writeUInt16BE(MAGIC, 0);
  bytes[2] = VERSION;
  bytes[3] = type;
  return bytes;
}

/**
 * The bytes of a packet. Numbers are cut to their field widths. A host name
 * ends at its first NUL (what follows would be read as `extra`); a Midi
 * packet longer than MAX_MIDI_COUNT event bytes is a caller's bug and throws
 * a RangeError.
 */
export function encodePacket(p: Packet): Buffer {
  switch (p.kind) {
    case 'hostId': {
      const name = encodeText(p.name.split('\0', 1)[0] ?? '');
      const bytes = header(PACKET_TYPES.hostId, HOST_ID_MIN_SIZE + name.length + p.extra.length);
      bytes.writeUInt32BE(p.clock >>> 0, 4);
      bytes.set(name, 8);
      bytes.set(p.extra, 8 + name.length + 1);
      return bytes;
    }
    case 'bye':
      return header(PACKET_TYPES.bye, BYE_SIZE);
    case 'echo':
    case 'echoReply': {
      const bytes = header(PACKET_TYPES[p.kind], ECHO_SIZE);
      bytes.set(p.payload.subarray(0, ECHO_PAYLOAD_SIZE), COMMON_HEADER_SIZE);
      return bytes;
    }
    case 'midi': {
      if (p.events.length > MAX_MIDI_COUNT) {
        throw new RangeError(`Midi packet of ${p.events.length} event bytes exceeds ${MAX_MIDI_COUNT}`);
      }
      const trailer = p.fine === undefined ? 0 : 1 + p.fine.events.length;
      const type = p.fine === undefined ? PACKET_TYPES.midi : PACKET_TYPES.fineMidi;
      const bytes = header(type, MIDI_HEADER_SIZE + p.events.length + trailer);
      bytes.writeUInt32BE(p.serial >>> 0, 4);
      bytes.writeUInt32BE(p.date >>> 0, 8);
      bytes.writeUInt16BE(p.events.length, 12);
      bytes.writeUInt16BE(p.offset & 0xffff, 14);
      bytes.set(p.events, MIDI_HEADER_SIZE);
      if (p.fine !== undefined) {
        let at = MIDI_HEADER_SIZE + p.events.length;
        bytes.writeInt8(fineStep(p.fine.date), at);
        for (const fraction of p.fine.events) bytes.writeInt8(fineStep(fraction), ++at);
      }
      return bytes;
    }
    case 'tcpBye': {
      const bytes = header(PACKET_TYPES.tcpBye, TCP_BYE_SIZE);
      bytes.writeUInt16BE(p.version & 0xffff, 4);
      bytes.writeUInt16BE(p.maxLat & 0xffff, 6);
      bytes.writeUInt16BE(p.late & 0xffff, 8);
      bytes.writeUInt32BE(p.missing >>> 0, 12);
      return bytes;
    }
    case 'tcpCnxRefused': {
      const bytes = header(PACKET_TYPES.tcpCnxRefused, TCP_CNX_REFUSED_SIZE);
      bytes.writeUInt16BE(p.reason & 0xffff, 4);
      return bytes;
    }
    case 'linkHello': {
      if (p.capabilities.length > 255) throw new RangeError('link hello capabilities exceed 255 bytes');
      const bytes = header(PACKET_TYPES.linkHello, LINK_HELLO_MIN_SIZE + p.capabilities.length);
      bytes[COMMON_HEADER_SIZE] = p.capabilities.length;
      bytes.set(p.capabilities, LINK_HELLO_MIN_SIZE);
      return bytes;
    }
  }
}

/**
 * Reads one whole datagram or TCP frame. Reasons: 'truncated header',
 * 'bad magic', 'bad version N', 'unknown type N', and per type 'truncated
 * TYPE' / 'bad length for TYPE' (size off), 'unterminated host name',
 * 'negative count', 'count exceeds length', 'count short of length',
 * 'bad offset', and for type 8 'no fine dates' / 'too many fine dates'.
 */
export function decodePacket(bytes: Uint8Array): Result<Packet> {
  if (bytes.length < COMMON_HEADER_SIZE) return fail('truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== MAGIC) return fail('bad magic');
  const version = view.getUint8(2);
  if (version !== VERSION) return fail(`bad version ${version}`);
  const type = view.getUint8(3);
  switch (type) {
    case PACKET_TYPES.hostId: {
      if (bytes.length < HOST_ID_MIN_SIZE) return fail('truncated hostId');
      const nul = bytes.indexOf(0, 8);
      if (nul < 0) return fail('unterminated host name');
      return ok({
        kind: 'hostId',
        clock: view.getUint32(4),
        name: decodeText(bytes.subarray(8, nul)),
        extra: copy(bytes, nul + 1),
      });
    }
    case PACKET_TYPES.bye:
      return bytes.length === BYE_SIZE ? ok({ kind: 'bye' }) : fail('bad length for bye');
    case PACKET_TYPES.echo:
    case PACKET_TYPES.echoReply: {
      const kind = type === PACKET_TYPES.echo ? 'echo' : 'echoReply';
      if (bytes.length !== ECHO_SIZE) return fail(`bad length for ${kind}`);
      return ok({ kind, payload: copy(bytes, COMMON_HEADER_SIZE) });
    }
    case PACKET_TYPES.midi:
    case PACKET_TYPES.fineMidi:
      return decodeMidi(bytes, view, type === PACKET_TYPES.fineMidi);
    case PACKET_TYPES.tcpBye: {
      if (bytes.length !== TCP_BYE_SIZE && bytes.length !== ORIGINAL_TCP_BYE_SIZE) {
        return fail('bad length for tcpBye');
      }
      // The original's 14 bytes end with the upper half of the missing count.
      const missing = bytes.length === TCP_BYE_SIZE ? view.getUint32(12) : view.getUint16(12) * 0x10000;
      return ok({
        kind: 'tcpBye',
        version: view.getInt16(4),
        maxLat: view.getInt16(6),
        late: view.getInt16(8),
        missing,
      });
    }
    case PACKET_TYPES.tcpCnxRefused:
      if (bytes.length !== TCP_CNX_REFUSED_SIZE) return fail('bad length for tcpCnxRefused');
      return ok({ kind: 'tcpCnxRefused', reason: view.getInt16(4) });
    case PACKET_TYPES.linkHello:
      if (bytes.length < LINK_HELLO_MIN_SIZE || bytes.length !== LINK_HELLO_MIN_SIZE + view.getUint8(4)) {
        return fail('bad length for linkHello');
      }
      return ok({ kind: 'linkHello', capabilities: copy(bytes, LINK_HELLO_MIN_SIZE) });
    default:
      return fail(`unknown type ${type}`);
  }
}

function decodeMidi(bytes: Uint8Array, view: DataView, fine: boolean): Result<MidiPacket> {
  if (bytes.length < MIDI_HEADER_SIZE) return fail('truncated midi');
  const count = view.getInt16(12);
  const offset = view.getInt16(14);
  if (count < 0) return fail('negative count');
  const available = bytes.length - MIDI_HEADER_SIZE;
  if (count > available) return fail('count exceeds length');
  if (count < available && !fine) return fail('count short of length');
  if (offset < 0 || offset > count) return fail('bad offset');
  const packet: MidiPacket = {
    kind: 'midi',
    serial: view.getUint32(4),
    date: view.getUint32(8),
    offset,
    events: new Uint8Array(bytes.subarray(MIDI_HEADER_SIZE, MIDI_HEADER_SIZE + count)),
  };
  if (!fine) return ok(packet);
  // The trailer: the group date's fraction, then one per event begun (an event takes 7 bytes or more).
  const trailer = MIDI_HEADER_SIZE + count;
  if (trailer === bytes.length) return fail('no fine dates');
  if (bytes.length - trailer - 1 > Math.ceil(count / 7)) return fail('too many fine dates');
  const events: number[] = [];
  for (let at = trailer + 1; at < bytes.length; at++) events.push(fineFraction(view.getInt8(at)));
  return ok({ ...packet, fine: { date: fineFraction(view.getInt8(trailer)), events } });
}

/**
 * The size of the packet whose first bytes are `prefix`, for framing a byte
 * stream (TCP): a number, 'more' when the prefix is too short to tell, or a
 * reason when no packet can start this way. HostID (its name runs to a NUL
 * and its extras to the end of the datagram) and unknown types cannot be
 * framed. TCPBye counts as the 16-byte form; see tcp-framer.ts.
 */
export function packetSize(prefix: Uint8Array): Result<number | 'more'> {
  if (prefix.length >= 1 && prefix[0] !== MAGIC >> 8) return fail('bad magic');
  if (prefix.length >= 2 && prefix[1] !== (MAGIC & 0xff)) return fail('bad magic');
  if (prefix.length >= 3 && prefix[2] !== VERSION) return fail(`bad version ${prefix[2]}`);
  if (prefix.length < COMMON_HEADER_SIZE) return ok('more');
  const type = prefix[3];
  switch (type) {
    case PACKET_TYPES.bye:
      return ok(BYE_SIZE);
    case PACKET_TYPES.echo:
    case PACKET_TYPES.echoReply:
      return ok(ECHO_SIZE);
    case PACKET_TYPES.tcpBye:
      return ok(TCP_BYE_SIZE);
    case PACKET_TYPES.tcpCnxRefused:
      return ok(TCP_CNX_REFUSED_SIZE);
    case PACKET_TYPES.midi: {
      if (prefix.length < MIDI_HEADER_SIZE) return ok('more');
      const count = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getInt16(12);
      return count < 0 ? fail('negative count') : ok(MIDI_HEADER_SIZE + count);
    }
    case PACKET_TYPES.linkHello:
      return prefix.length <= COMMON_HEADER_SIZE
        ? ok('more')
        : ok(LINK_HELLO_MIN_SIZE + (prefix[4] as number));
    case PACKET_TYPES.hostId:
      return fail('unframeable type 1');
    case PACKET_TYPES.fineMidi:
      // Its trailer's length is not in its header: fine dates travel only in datagrams.
      return fail('unframeable type 8');
    default:
      return fail(`unknown type ${type}`);
  }
}
