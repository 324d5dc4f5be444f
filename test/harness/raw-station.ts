/**
 * A raw version-1 LAN station, written byte by byte with Buffer reads and
 * writes and sharing nothing with msinet's codec (src/wire), so that a bug
 * there cannot hide in both ends. It sends whatever a test asks — HostID,
 * Bye, Midi packets with any serial, date, count and offset, hand-made event
 * bytes, garbage — including what the original cannot be made to send: gaps,
 * reordering, duplicates, lying lengths, a restart (clock and serials back to
 * the start). It records every datagram it receives, parsed minimally.
 *
 * Layout (SPEC §5, checked against original-peer/captures): header
 * `magic u16 0x1001 | version u8 1 | type u8`; HostID `clock u32 | name | NUL`;
 * Midi `serial u32 | date u32 | count i16 | offset i16 | events`; an event
 * `len u16 | type u8 | date i16 | port u8 | chan u8 | payload`, len = 5 + payload.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export const MAGIC = 0x1001;
export const VERSION = 1;
export const PACKET_TYPE = { hostId: 1, bye: 2, echo: 3, echoReply: 4, midi: 5 } as const;
/** MidiShare type codes, copied from the original's MidiShare.h rather than from src/model. */
export const EVENT_TYPE = { note: 0, keyOn: 1, keyOff: 2, sysEx: 17 } as const;

const HEADER_SIZE = 4;
const MIDI_HEADER_SIZE = 16;
const EVENT_HEAD_SIZE = 7;

// ---------------------------------------------------------------- building

/** Where an event sits: relative date (i16, may be negative), port, channel. */
export interface EventPlace {
  date?: number;
  port?: number;
  chan?: number;
}

/** One event's bytes; `len` overrides the true length (to lie about it). */
export function eventBytes(
  type: number,
  payload: Uint8Array | readonly number[],
  place: EventPlace & { len?: number } = {},
): Buffer {
  if (!(payload instanceof Uint8Array) && payload.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new Error(`raw station: event payload [${payload.join(' ')}] is not all bytes`);
  }
  const body = Buffer.from(payload as Uint8Array);
  const out = Buffer.alloc(EVENT_HEAD_SIZE + body.length);
  write16(out, place.len ?? 5 + body.length, 0);
  out.writeUInt8(type, 2);
  write16(out, place.date ?? 0, 3);
  out.writeUInt8(place.port ?? 0, 5);
  out.writeUInt8(place.chan ?? 0, 6);
  body.copy(out, EVENT_HEAD_SIZE);
  return out;
}

export function keyOnBytes(e: { pitch: number; vel: number } & EventPlace): Buffer {
  return eventBytes(EVENT_TYPE.keyOn, [e.pitch, e.vel], e);
}

export function keyOffBytes(e: { pitch: number; vel?: number } & EventPlace): Buffer {
  return eventBytes(EVENT_TYPE.keyOff, [e.pitch, e.vel ?? 0], e);
}

export function noteBytes(e: { pitch: number; vel: number; dur: number } & EventPlace): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt8(e.pitch, 0);
  payload.writeUInt8(e.vel, 1);
  write16(payload, e.dur, 2);
  return eventBytes(EVENT_TYPE.note, payload, e);
}

/** A SysEx carries its data bytes only, without F0 and F7. */
export function sysExBytes(e: { data: readonly number[] } & EventPlace): Buffer {
  return eventBytes(EVENT_TYPE.sysEx, e.data, e);
}

export function packetHeader(type: number, magic = MAGIC, version = VERSION): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt16BE(magic, 0);
  out.writeUInt8(version, 2);
  out.writeUInt8(type, 3);
  return out;
}

/** HostID: sender clock, host name, NUL, then `extra` (msinet capabilities ride there). */
export function hostIdPacket(clock: number, name: string, extra: Uint8Array = new Uint8Array()): Buffer {
  const clockBytes = Buffer.alloc(4);
  clockBytes.writeUInt32BE(clock >>> 0, 0);
  return Buffer.concat([
    packetHeader(PACKET_TYPE.hostId),
    clockBytes,
    Buffer.from(name, 'latin1'),
    Buffer.from([0]),
    extra,
  ]);
}

export function byePacket(): Buffer {
  return packetHeader(PACKET_TYPE.bye);
}

export interface MidiPacketFields {
  serial: number;
  /** Sender clock; 0 marks a continuation. */
  date: number;
  events: Uint8Array;
  /** Default: the true number of event bytes. */
  count?: number;
  /** Leading bytes that finish an event begun in the previous packet. */
  offset?: number;
}

export function midiPacket(f: MidiPacketFields): Buffer {
  const head = Buffer.alloc(MIDI_HEADER_SIZE - HEADER_SIZE);
  head.writeUInt32BE(f.serial >>> 0, 0);
  head.writeUInt32BE(f.date >>> 0, 4);
  write16(head, f.count ?? f.events.length, 8);
  write16(head, f.offset ?? 0, 10);
  return Buffer.concat([packetHeader(PACKET_TYPE.midi), head, f.events]);
}

/** 16-bit field: negative values as i16 (relative dates), others as u16 (lying lengths up to 0xffff). */
function write16(buf: Buffer, value: number, at: number): void {
  if (value < 0) buf.writeInt16BE(value, at);
  else buf.writeUInt16BE(value, at);
}

// ----------------------------------------------------------------- parsing

export type ParsedPacket =
  | { kind: 'hostId'; clock: number; name: string; extraHex: string }
  | { kind: 'bye' }
  | { kind: 'midi'; serial: number; date: number; count: number; offset: number; eventsHex: string }
  | { kind: 'other'; type: number; bodyHex: string }
  | { kind: 'invalid'; reason: string };

export function parsePacket(bytes: Uint8Array): ParsedPacket {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER_SIZE) return { kind: 'invalid', reason: `${b.length} bytes, shorter than a header` };
  const magic = b.readUInt16BE(0);
  if (magic !== MAGIC) return { kind: 'invalid', reason: `magic 0x${magic.toString(16)}` };
  const version = b.readUInt8(2);
  if (version !== VERSION) return { kind: 'invalid', reason: `version ${version}` };
  const type = b.readUInt8(3);
  switch (type) {
    case PACKET_TYPE.hostId: {
      if (b.length < 9) return { kind: 'invalid', reason: 'HostID too short' };
      const nul = b.indexOf(0, 8);
      if (nul < 0) return { kind: 'invalid', reason: 'HostID name has no NUL' };
      return {
        kind: 'hostId',
        clock: b.readUInt32BE(4),
        name: b.toString('latin1', 8, nul),
        extraHex: b.subarray(nul + 1).toString('hex'),
      };
    }
    case PACKET_TYPE.bye:
      return { kind: 'bye' };
    case PACKET_TYPE.midi:
      if (b.length < MIDI_HEADER_SIZE) return { kind: 'invalid', reason: 'Midi header too short' };
      return {
        kind: 'midi',
        serial: b.readUInt32BE(4),
        date: b.readUInt32BE(8),
        count: b.readInt16BE(12),
        offset: b.readInt16BE(14),
        eventsHex: b.subarray(MIDI_HEADER_SIZE).toString('hex'),
      };
    default:
      return { kind: 'other', type, bodyHex: b.subarray(HEADER_SIZE).toString('hex') };
  }
}

export interface RawEvent {
  len: number;
  type: number;
  date: number;
  port: number;
  chan: number;
  payload: number[];
}

/**
 * Splits event bytes into events, starting at `offset`; stops at the first
 * event that is cut short or whose len is below 5. `rest` counts the bytes
 * left unparsed (an event that continues in the next packet).
 */
export function splitEvents(bytes: Uint8Array | string, offset = 0): { events: RawEvent[]; rest: number } {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : Buffer.from(bytes);
  const events: RawEvent[] = [];
  let at = offset;
  while (at + EVENT_HEAD_SIZE <= b.length) {
    const len = b.readUInt16BE(at);
    if (len < 5 || at + 2 + len > b.length) break;
    events.push({
      len,
      type: b.readUInt8(at + 2),
      date: b.readInt16BE(at + 3),
      port: b.readUInt8(at + 5),
      chan: b.readUInt8(at + 6),
      payload: [...b.subarray(at + EVENT_HEAD_SIZE, at + 2 + len)],
    });
    at += 2 + len;
  }
  return { events, rest: b.length - at };
}

// ----------------------------------------------------------------- station

/** What the station received: JSON-friendly, the same in-process and from raw-station-main. */
export interface ReceivedPacket {
  /** The station's clock at arrival. */
  at: number;
  /** `address:port` of the sender. */
  from: string;
  /** Which socket took it: sent to our address, or to the broadcast address. */
  via: 'unicast' | 'broadcast';
  hex: string;
  packet: ParsedPacket;
}

export interface RawStationOptions {
  /** Host name in its HostID packets. */
  name: string;
  /** Address to bind and send from (127.0.0.1 on loopback). */
  address: string;
  /** UDP port; 0 picks a free one (loopback). */
  port: number;
  /** Also listen on this broadcast address (same port); HostIDs go there by default. */
  broadcast?: string;
  /** `address:port` Midi packets (and, without `broadcast`, HostIDs) go to by default. */
  peer?: string;
  /** Clock value at start, ms (default 1: a Midi date of 0 would mark a continuation). */
  clockStart?: number;
}

export interface HostIdOptions {
  to?: string;
  /** Default: the station's clock. */
  clock?: number;
  /** Default: the station's name. */
  name?: string;
  extra?: Uint8Array;
}

export interface MidiOptions {
  to?: string;
  /** Default: the next serial of the stream to `to`. An explicit serial moves that stream's next serial past it, so a jump makes a gap and an older one a reordering or a duplicate. */
  serial?: number;
  /** Default: the station's clock. */
  date?: number;
  count?: number;
  offset?: number;
  events: Uint8Array;
}

/** What tests drive, whether the station runs in this process or under a lab (raw-station-process.ts). */
export interface RawStationControl {
  /** `address:port` it receives unicast on. */
  readonly endpoint: string;
  hostId(options?: HostIdOptions): Promise<void>;
  bye(to?: string): Promise<void>;
  /** Resolves with the serial and date it used. */
  midi(options: MidiOptions): Promise<{ serial: number; date: number }>;
  raw(bytes: Uint8Array, to?: string): Promise<void>;
  /** Sends a HostID now and every `everyMs` until `silence()` (the original drops a remote after 500 ms without one). */
  announce(everyMs?: number, to?: string): Promise<void>;
  silence(): Promise<void>;
  /** A restart: clock back to `clockStart` (default 1) and every stream's serial back to 1. */
  restart(clockStart?: number): Promise<void>;
  clock(): Promise<number>;
  received(): ReceivedPacket[];
  waitForPacket(accept: (p: ReceivedPacket) => boolean, timeoutMs: number): Promise<ReceivedPacket>;
  close(): Promise<void>;
}

export function splitEndpoint(endpoint: string): { address: string; port: number } {
  const colon = endpoint.lastIndexOf(':');
  const port = Number(endpoint.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`raw station: ${JSON.stringify(endpoint)} is not address:port`);
  }
  return { address: endpoint.slice(0, colon), port };
}

/** The station itself, with real sockets, in this process. */
export class RawStation implements RawStationControl {
  private readonly packets: ReceivedPacket[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly nextSerials = new Map<string, number>();
  private origin = performance.now();
  private clockStart: number;
  private announcer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: RawStationOptions,
    private readonly unicast: Socket,
    private readonly broadcastSocket: Socket | undefined,
    readonly endpoint: string,
  ) {
    this.clockStart = options.clockStart ?? 1;
  }

  static async open(options: RawStationOptions): Promise<RawStation> {
    const unicast = await bound(options.address, options.port);
    unicast.setBroadcast(true);
    const port = unicast.address().port;
    const broadcastSocket = options.broadcast ? await bound(options.broadcast, port) : undefined;
    const station = new RawStation(options, unicast, broadcastSocket, `${options.address}:${port}`);
    station.listen(unicast, 'unicast');
    if (broadcastSocket) station.listen(broadcastSocket, 'broadcast');
    return station;
  }

  /** Where HostID and Bye go by default. */
  get announceTo(): string {
    const port = this.unicast.address().port;
    if (this.options.broadcast) return `${this.options.broadcast}:${port}`;
    if (this.options.peer) return this.options.peer;
    throw new Error('raw station: no broadcast address and no peer to send to');
  }

  clockNow(): number {
    return (Math.floor(performance.now() - this.origin) + this.clockStart) >>> 0;
  }

  async clock(): Promise<number> {
    return this.clockNow();
  }

  async hostId(options: HostIdOptions = {}): Promise<void> {
    const packet = hostIdPacket(
      options.clock ?? this.clockNow(),
      options.name ?? this.options.name,
      options.extra,
    );
    await this.send(packet, options.to ?? this.announceTo);
  }

  async bye(to?: string): Promise<void> {
    await this.send(byePacket(), to ?? this.announceTo);
  }

  async midi(options: MidiOptions): Promise<{ serial: number; date: number }> {
    const to = options.to ?? this.options.peer;
    if (!to) throw new Error('raw station: Midi packet with no destination and no peer');
    const next = this.nextSerials.get(to) ?? 1;
    const serial = options.serial ?? next;
    this.nextSerials.set(to, Math.max(next, serial + 1));
    const date = options.date ?? this.clockNow();
    await this.send(midiPacket({ ...options, serial, date }), to);
    return { serial, date };
  }

  async raw(bytes: Uint8Array, to?: string): Promise<void> {
    const dest = to ?? this.options.peer;
    if (!dest) throw new Error('raw station: raw bytes with no destination and no peer');
    await this.send(bytes, dest);
  }

  async announce(everyMs = 100, to?: string): Promise<void> {
    await this.silence();
    const dest = to ?? this.announceTo;
    await this.hostId({ to: dest });
    this.announcer = setInterval(() => void this.hostId({ to: dest }).catch(() => undefined), everyMs);
  }

  async silence(): Promise<void> {
    clearInterval(this.announcer);
    this.announcer = undefined;
  }

  async restart(clockStart = 1): Promise<void> {
    this.origin = performance.now();
    this.clockStart = clockStart;
    this.nextSerials.clear();
  }

  received(): ReceivedPacket[] {
    return [...this.packets];
  }

  waitForPacket(accept: (p: ReceivedPacket) => boolean, timeoutMs: number): Promise<ReceivedPacket> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.packets.find(accept);
        if (!found) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(
            `raw station ${this.options.name}: no matching packet within ${timeoutMs} ms (${this.packets.length} received)`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Called for every packet received from now on. */
  onPacket(listener: (p: ReceivedPacket) => void): void {
    let seen = this.packets.length;
    this.listeners.add(() => {
      for (; seen < this.packets.length; seen++) listener(this.packets[seen] as ReceivedPacket);
    });
  }

  async close(): Promise<void> {
    await this.silence();
    await Promise.all([
      closed(this.unicast),
      this.broadcastSocket ? closed(this.broadcastSocket) : undefined,
    ]);
  }

  private listen(socket: Socket, via: ReceivedPacket['via']): void {
    // A send error also reaches the send callback; this keeps a stray one from killing the test process.
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => {
      const from = `${rinfo.address}:${rinfo.port}`;
      if (from === this.endpoint) return; // our own broadcasts
      this.packets.push({
        at: this.clockNow(),
        from,
        via,
        hex: msg.toString('hex'),
        packet: parsePacket(msg),
      });
      for (const listener of [...this.listeners]) listener();
    });
  }

  private send(bytes: Uint8Array, to: string): Promise<void> {
    const { address, port } = splitEndpoint(to);
    return new Promise((resolve, reject) => {
      this.unicast.send(bytes, port, address, (err) => (err ? reject(err) : resolve()));
    });
  }
}

function bound(address: string, port: number): Promise<Socket> {
  // No address reuse: a second station on the same address and port must fail loudly, not split the traffic.
  const socket = createSocket({ type: 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
