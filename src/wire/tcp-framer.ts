/**
 * Packets out of a TCP byte stream (SPEC §5.3). The original reads each
 * recv() as one packet and hopes; msinet reassembles packets from any split
 * or coalesced reads. A pure fold over the chunks of one connection:
 *
 *   feedTcp(state, chunk) -> { state, packets, error? }
 *
 * A packet frames itself by its header: 16 + count bytes for Midi, fixed
 * sizes for Bye (4), Echo and EchoReply (12), TCPCnxRefused (6). TCPBye is
 * 16 bytes from msinet and 14 from the original (see codec.ts); it is always
 * the last thing a peer sends, so it is framed as soon as 14 bytes are there
 * (16 when they are) and everything after it is ignored. The price: a 16-byte
 * TCPBye that TCP splits after its 14th or 15th byte reads as the 14-byte
 * form, whose missing count lacks its lower half. Waiting for the end of the
 * stream instead would hold the original's TCPBye until the socket closes.
 *
 * A frame that cannot be valid (bad magic or version, a type that cannot be
 * framed: HostID, unknown types; a negative count) means the stream is lost:
 * TCP has no marker to resynchronise on, since event bytes can look like a
 * header. `error` says why, once; the caller closes the connection, and the
 * state ignores anything fed after it. Memory: the state holds at most one
 * unfinished frame (< 16 + 32,767 bytes), in copies that pin no socket buffer.
 */
import { ORIGINAL_TCP_BYE_SIZE, TCP_BYE_SIZE, packetSize } from './codec.js';
import { MIDI_HEADER_SIZE, PACKET_TYPES } from './packet.js';

/** The bytes of the unfinished frame, newest first: feeding never copies what came before. */
type Chunks = { readonly chunk: Uint8Array; readonly before: Chunks } | undefined;

export interface TcpFramerState {
  readonly pending: Chunks;
  /** Bytes of the unfinished frame held so far. */
  readonly pendingLength: number;
  /** The unfinished frame's size once its header has told. */
  readonly frame: { readonly size: number; readonly bye: boolean } | undefined;
  /** A TCPBye came: the peer is leaving, later bytes are ignored. */
  readonly ended: boolean;
  /** Why the stream could not be framed; later bytes are ignored. */
  readonly failed: string | undefined;
}

export interface TcpFeed {
  state: TcpFramerState;
  /** Whole packets in arrival order, for decodePacket. They may share memory with the chunks fed. */
  packets: Uint8Array[];
  /** Set on the feed that found the stream unframeable: close the connection. */
  error?: string;
}

const INITIAL: TcpFramerState = {
  pending: undefined,
  pendingLength: 0,
  frame: undefined,
  ended: false,
  failed: undefined,
};

export function initialTcpFramer(): TcpFramerState {
  return INITIAL;
}

/** The pending bytes followed by `tail`, in one array. */
function joined(pending: Chunks, pendingLength: number, tail: Uint8Array): Uint8Array {
  if (pending === undefined) return tail;
  const bytes = new Uint8Array(pendingLength + tail.length);
  bytes.set(tail, pendingLength);
  let end = pendingLength;
  for (let node: Chunks = pending; node !== undefined; node = node.before) {
    end -= node.chunk.length;
    bytes.set(node.chunk, end);
  }
  return bytes;
}

/** A TCPBye is the 16-byte form when 16 bytes are there, else the original's 14 once 14 are. */
function byeSize(available: number): number | undefined {
  if (available >= TCP_BYE_SIZE) return TCP_BYE_SIZE;
  return available >= ORIGINAL_TCP_BYE_SIZE ? ORIGINAL_TCP_BYE_SIZE : undefined;
}

export function feedTcp(state: TcpFramerState, chunk: Uint8Array): TcpFeed {
  if (state.failed !== undefined || state.ended) return { state, packets: [] };
  const packets: Uint8Array[] = [];
  let { pending, pendingLength, frame } = state;
  let rest = chunk;

  while (rest.length > 0) {
    if (frame === undefined) {
      // Until the size is known the pending bytes are fewer than a Midi header: joining them is cheap.
      const head = joined(pending, pendingLength, rest.subarray(0, MIDI_HEADER_SIZE));
      const size = packetSize(head);
      if (!size.ok) return { state: { ...INITIAL, failed: size.reason }, packets, error: size.reason };
      if (size.value === 'more') break;
      frame = { size: size.value, bye: head[3] === PACKET_TYPES.tcpBye };
    }
    const available = pendingLength + rest.length;
    const complete = frame.bye ? byeSize(available) : available >= frame.size ? frame.size : undefined;
    if (complete === undefined) break;
    const fromRest = complete - pendingLength;
    packets.push(joined(pending, pendingLength, rest.subarray(0, fromRest)));
    rest = rest.subarray(fromRest);
    pending = undefined;
    pendingLength = 0;
    if (frame.bye) return { state: { ...INITIAL, ended: true }, packets };
    frame = undefined;
  }

  if (rest.length > 0) {
    // A copy: a view would keep the whole chunk it came from alive, however little of it is pending.
    pending = { chunk: new Uint8Array(rest), before: pending };
    pendingLength += rest.length;
  }
  return { state: { pending, pendingLength, frame, ended: false, failed: undefined }, packets };
}
