/**
 * remoteTable: the remote stations one driver knows, as a fold over what
 * arrives (SPEC §4, §6): HostID creates a remote and feeds its clock
 * reference; the remote opens once the reference is locked; Midi packets pass
 * serial tracking and the stream parser; Bye or 1 s without HostID removes it.
 *
 * ```
 * tick every 100 ms:  t---t---t---t---t---t---t---t---t---t---t---t---t
 * from hostA:         h-h-h-h-h-h--m-h---h---h                  (silence)
 * effects:                       o m                                   c
 *   o: open hostA (clock locked after the wake-up burst)
 *   m: packet with its events, timed by the clock reference
 *   c: close hostA, 1 s after its last HostID ('timeout'); a Bye closes at once
 * ```
 * Each remote keeps one stream per path: `udp` (its unicast Midi packets),
 * `broadcast` (an original station's port-255 stream, sent to the broadcast
 * address with serials of its own), `tcp` (port 255 over TCP), so that one
 * stream's serials never disturb another's loss accounting.
 *
 * Scheduler: none; a pure fold. Time comes in with the inputs (`at`).
 */
import { mergeMap, scan, type OperatorFunction } from 'rxjs';
import type { DeliveryPlan, InboundPacket, RemoteStats, SentPackets } from '../model/pipeline.js';
import type { HostIdPacket, MidiPacket, Packet } from '../wire/packet.js';
import { decodeCapabilities } from '../wire/capabilities.js';
import { feedPacket, initialStreamParser, type StreamParserState } from '../wire/stream-parser.js';
import {
  clockStep,
  initialClockState,
  toClockReference,
  type ClockFilterParams,
  type ClockState,
} from './clock-reference.js';
import { initialRemoteStats, statsStep } from './remote-stats.js';
import { serialStep, type SerialState } from './track-serials.js';

export type StreamName = 'udp' | 'broadcast' | 'tcp';

export interface PeerAddress {
  address: string;
  port: number;
}

export type TableInput =
  | { kind: 'packet'; from: PeerAddress; stream: StreamName; at: number; packet: Packet }
  | { kind: 'tick'; at: number }
  /** What to count for a remote that the table does not see itself: plans made, packets sent. */
  | { kind: 'count'; key: string; report: DeliveryPlan | SentPackets };

export type CloseReason = 'bye' | 'timeout' | 'shutdown';

export type TableEffect =
  | { kind: 'open'; key: string; name: string; from: PeerAddress }
  | { kind: 'close'; key: string; name: string; reason: CloseReason }
  /** `releasesNotes`: packets were lost before this one, or the sender restarted: notes it began may never end. */
  | { kind: 'packet'; key: string; stream: StreamName; packet: InboundPacket; releasesNotes: boolean }
  /** The remote restarted (its HostID clock went back): notes it started may never end. */
  | { kind: 'gap'; key: string; stream: StreamName }
  | { kind: 'echo'; to: PeerAddress; payload: Uint8Array }
  | { kind: 'rejected'; reason: string; from: PeerAddress };

interface Stream {
  serials: SerialState | undefined;
  parser: StreamParserState;
}

export interface RemoteEntry {
  readonly key: string;
  readonly from: PeerAddress;
  readonly name: string;
  readonly clock: ClockState;
  /** Its client exists (the clock reference locked). */
  readonly open: boolean;
  /** Local time of its last HostID. */
  readonly lastHello: number;
  /** Its last HostID clock, to see it restart. */
  readonly lastClock: number;
  /** Its last HostID announced fine dates (an msinet peer): its Midi packets may carry them. */
  readonly fineDates: boolean;
  readonly streams: Readonly<Partial<Record<StreamName, Stream>>>;
  readonly stats: RemoteStats;
  /** Midi packets that came before the clock reference locked, played once it does. */
  readonly early: readonly EarlyPacket[];
}

interface EarlyPacket {
  stream: StreamName;
  at: number;
  packet: MidiPacket;
}

/**
 * Packets kept from a remote whose client does not exist yet. A station that wakes to
 * send at once (`msinet send`) may lock its peer before the peer has locked it: its first
 * packets then wait here, a few hundred ms at most, instead of being lost.
 */
const MAX_EARLY_PACKETS = 64;

export interface TableState {
  readonly remotes: ReadonlyMap<string, RemoteEntry>;
}

export interface TableParams {
  clock: ClockFilterParams;
  /** A remote without HostID for this long is gone (SPEC §6: 1 s). */
  timeoutMs: number;
  /** At most this many remotes; HostIDs from more are rejected (bounded memory). */
  maxRemotes: number;
  /** Host names are cut to this many characters (SPEC §1: 31). */
  maxNameLength: number;
}

export interface TableStep {
  state: TableState;
  effects: TableEffect[];
}

export const emptyTable: TableState = { remotes: new Map() };

export const peerKey = (from: PeerAddress) => `${from.address}:${from.port}`;

/** A HostID clock this far behind the previous one means the station restarted. */
const RESTART_JUMP_MS = 1000;

function withRemote(state: TableState, entry: RemoteEntry): TableState {
  const remotes = new Map(state.remotes);
  remotes.set(entry.key, entry);
  return { remotes };
}

function withoutRemote(state: TableState, key: string): TableState {
  const remotes = new Map(state.remotes);
  remotes.delete(key);
  return { remotes };
}

function hello(
  state: TableState,
  from: PeerAddress,
  at: number,
  packet: HostIdPacket,
  params: TableParams,
): TableStep {
  const key = peerKey(from);
  const known = state.remotes.get(key);
  if (known === undefined && state.remotes.size >= params.maxRemotes) {
    return { state, effects: [{ kind: 'rejected', reason: 'too many remotes', from }] };
  }
  const name = packet.name.slice(0, params.maxNameLength) || from.address;
  const restarted = known !== undefined && packet.clock + RESTART_JUMP_MS < known.lastClock;
  const { fineDates } = decodeCapabilities(packet.extra);
  const base: RemoteEntry =
    known === undefined || restarted
      ? {
          key,
          from,
          name: known?.name ?? name,
          clock: initialClockState,
          open: known?.open ?? false,
          lastHello: at,
          lastClock: packet.clock,
          fineDates: false,
          streams: {},
          stats: known ? { ...known.stats, restarts: known.stats.restarts + 1 } : initialRemoteStats,
          early: [],
        }
      : known;
  const remote = packet.clock + (fineDates?.clockFraction ?? 0);
  const clock = clockStep(base.clock, { remote, local: at }, params.clock);
  const entry: RemoteEntry = {
    ...base,
    clock,
    open: base.open || clock.locked,
    lastHello: at,
    lastClock: packet.clock,
    fineDates: fineDates !== undefined,
    stats: statsStep(base.stats, toClockReference(clock)),
  };
  const effects: TableEffect[] = [];
  if (restarted)
    for (const stream of Object.keys(known.streams) as StreamName[])
      effects.push({ kind: 'gap', key, stream });
  if (!entry.open || base.open) return { state: withRemote(state, entry), effects };
  effects.push({ kind: 'open', key, name: entry.name, from });
  let opened = withRemote(state, { ...entry, early: [] });
  for (const early of entry.early) {
    const step = midi(opened, from, early.stream, early.at, early.packet, params);
    opened = step.state;
    effects.push(...step.effects);
  }
  return { state: opened, effects };
}

function midi(
  state: TableState,
  from: PeerAddress,
  streamName: StreamName,
  at: number,
  packet: MidiPacket,
  params: TableParams,
): TableStep {
  const key = peerKey(from);
  const known = state.remotes.get(key);
  if (known === undefined)
    return { state, effects: [{ kind: 'rejected', reason: 'Midi from an unknown station', from }] };
  if (!known.open) {
    if (known.early.length >= MAX_EARLY_PACKETS) return { state, effects: [] };
    const early = [...known.early, { stream: streamName, at, packet }];
    return { state: withRemote(state, { ...known, early }), effects: [] };
  }

  const stream = known.streams[streamName] ?? { serials: undefined, parser: initialStreamParser() };
  const { state: serials, verdict } = serialStep(stream.serials, packet);
  const stats = statsStep(known.stats, verdict);
  if (verdict.verdict !== 'keep') return { state: withRemote(state, { ...known, stats }), effects: [] };
  const parsed = feedPacket(stream.parser, packet, verdict.afterGap);
  // Midi packet dates feed the clock reference too (SPEC §4), continuations carry none.
  const date = packet.date === 0 ? 0 : packet.date + (packet.fine?.date ?? 0);
  const clock = date === 0 ? known.clock : clockStep(known.clock, { remote: date, local: at }, params.clock);
  const entry: RemoteEntry = {
    ...known,
    clock,
    streams: { ...known.streams, [streamName]: { serials, parser: parsed.state } },
    stats: statsStep(stats, toClockReference(clock)),
  };
  const effects: TableEffect[] = [];
  for (const reason of parsed.rejected) effects.push({ kind: 'rejected', reason, from });
  const inbound: InboundPacket = {
    date,
    arrival: at,
    offset: clock.offset,
    afterGap: verdict.afterGap,
    events: parsed.events,
  };
  const releasesNotes = verdict.missing > 0 || verdict.restarted;
  effects.push({ kind: 'packet', key, stream: streamName, packet: inbound, releasesNotes });
  return { state: withRemote(state, entry), effects };
}

function close(state: TableState, key: string, reason: CloseReason): TableStep {
  const known = state.remotes.get(key);
  if (known === undefined) return { state, effects: [] };
  const effects: TableEffect[] = known.open ? [{ kind: 'close', key, name: known.name, reason }] : [];
  return { state: withoutRemote(state, key), effects };
}

function tick(state: TableState, at: number, params: TableParams): TableStep {
  let next = state;
  const effects: TableEffect[] = [];
  for (const entry of state.remotes.values()) {
    if (at - entry.lastHello <= params.timeoutMs) continue;
    const step = close(next, entry.key, 'timeout');
    next = step.state;
    effects.push(...step.effects);
  }
  return { state: next, effects };
}

/** One input through the table: the pure step behind `remoteTable`. */
export function tableStep(state: TableState, input: TableInput, params: TableParams): TableStep {
  switch (input.kind) {
    case 'tick':
      return tick(state, input.at, params);
    case 'count':
      return account(state, input.key, (stats) => statsStep(stats, input.report));
  }
  const { from, packet, at } = input;
  switch (packet.kind) {
    case 'hostId':
      return hello(state, from, at, packet, params);
    case 'bye':
      return close(state, peerKey(from), 'bye');
    case 'midi':
      return midi(state, from, input.stream, at, packet, params);
    case 'echo':
      return { state, effects: [{ kind: 'echo', to: from, payload: packet.payload }] };
    default:
      return { state, effects: [{ kind: 'rejected', reason: `unexpected ${packet.kind} on the LAN`, from }] };
  }
}

/** Every remote open now closes: the driver goes to sleep or quits. */
export function closeAll(state: TableState, reason: CloseReason): TableStep {
  const effects: TableEffect[] = [];
  for (const entry of state.remotes.values()) {
    if (entry.open) effects.push({ kind: 'close', key: entry.key, name: entry.name, reason });
  }
  return { state: emptyTable, effects };
}

function account(state: TableState, key: string, change: (stats: RemoteStats) => RemoteStats): TableStep {
  const known = state.remotes.get(key);
  if (known === undefined) return { state, effects: [] };
  return { state: withRemote(state, { ...known, stats: change(known.stats) }), effects: [] };
}

export function remoteTable(
  params: TableParams,
  onState: (state: TableState) => void = () => undefined,
): OperatorFunction<TableInput, TableEffect> {
  return (source) =>
    source.pipe(
      scan<TableInput, TableStep, TableStep>((step, input) => tableStep(step.state, input, params), {
        state: emptyTable,
        effects: [],
      }),
      mergeMap((step) => {
        onState(step.state);
        return step.effects;
      }),
    );
}
