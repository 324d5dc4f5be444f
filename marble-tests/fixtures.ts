/** Small events for the marble specs: what each test is about is its timing, not its event fields. */
import { DEFAULTS, type Config } from '../src/model/config.js';
import type { KeyEvent, MidiEvent, NoteEvent } from '../src/model/event.js';
import type { DeliveryPlan, SerialStamped, SerialVerdict } from '../src/model/pipeline.js';
import { peerKey, type PeerAddress, type StreamName } from '../src/model/station.js';
import type { RemotePacket } from '../src/operators/remote-table.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import type { MidiPacket } from '../src/wire/packet.js';

export const keyOn = (pitch: number, extra: Partial<KeyEvent> = {}): KeyEvent => ({
  type: 'keyOn',
  port: 0,
  chan: 0,
  pitch,
  vel: 100,
  ...extra,
});

export const keyOff = (pitch: number, extra: Partial<KeyEvent> = {}): KeyEvent => ({
  type: 'keyOff',
  port: 0,
  chan: 0,
  pitch,
  vel: 0,
  ...extra,
});

export const note = (pitch: number, extra: Partial<NoteEvent> = {}): NoteEvent => ({
  type: 'note',
  port: 0,
  chan: 0,
  pitch,
  vel: 100,
  dur: 500,
  ...extra,
});

/** The same event with another date (relative or local, as the operator under test uses it). */
export const at = <E extends MidiEvent>(event: E, date: number): E => ({ ...event, date });

/** The event bytes of a Midi packet: each `[event, relative date]` encoded, one after the other. */
export const eventBytes = (...events: Array<[MidiEvent, number]>): Buffer =>
  Buffer.concat(events.map(([event, rel]) => encodeEvent(event, rel)));

/** A version-1 Midi packet; `date` 0 makes it a continuation, `offset` the bytes that finish an earlier event. */
export const midiPacket = (serial: number, date: number, events: Uint8Array, offset = 0): MidiPacket => ({
  kind: 'midi',
  serial,
  date,
  offset,
  events,
});

/** The remote station most specs are about, and how the remote table names it. */
export const hostA: PeerAddress = { address: '10.0.0.1', port: 4950 };
export const keyA = peerKey(hostA);

/** A Midi packet of an open remote, as the remote table hands it on: arrived at `at`, the clock offset then `offset`. */
export const remotePacket = (
  packet: MidiPacket,
  at: number,
  { key = keyA, stream = 'udp', offset = 0 }: { key?: string; stream?: StreamName; offset?: number } = {},
): RemotePacket => ({
  kind: 'packet',
  key,
  stream,
  at,
  offset,
  packet,
  serial: packet.serial,
  date: packet.date,
});

/** trackSerials' verdict `keep` for a packet, with what it saw before it. */
export const kept = <T extends SerialStamped>(
  packet: T,
  seen: Partial<Pick<SerialVerdict<T>, 'afterGap' | 'missing' | 'restarted'>> = {},
): SerialVerdict<T> => ({
  kind: 'serial',
  packet,
  verdict: 'keep',
  afterGap: false,
  missing: 0,
  restarted: false,
  ...seen,
});

/** planDelivery's plan for a packet's events (relative dates): an event is due at `at` + its date. */
export const plan = (
  atTime: number,
  events: MidiEvent[],
  extra: Partial<DeliveryPlan> = {},
): DeliveryPlan => ({
  kind: 'plan',
  at: atTime,
  transit: 0,
  late: false,
  continuation: false,
  releasesNotes: false,
  events,
  ...extra,
});

/** A driver's configuration for the specs: LAN at -g 10 -lat 10 unless `settings` say otherwise. */
export function driverConfig(settings: Partial<Config> = {}): Config {
  return {
    mode: 'lan',
    port: DEFAULTS.lan.port,
    maxLatency: 10,
    grouping: 10,
    daemon: false,
    logFile: '/dev/null',
    hosts: [],
    maxClients: 32,
    late: 'play',
    socket: undefined,
    logLevel: 'error',
    interface: undefined,
    midi: false,
    midiIn: [],
    midiOut: [],
    inbound: [],
    outbound: [],
    ...settings,
  };
}
