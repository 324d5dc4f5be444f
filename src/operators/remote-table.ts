/**
 * remoteTable(params): what arrives from the station → the lives of its remote
 * stations (SPEC §4, §6, §7), as a fold: a HostID makes a remote and feeds its
 * clock reference; the remote opens once the reference locks; a Bye, a link
 * going down or silence closes it.
 *
 * ```
 * tick every 100 ms:  t---t---t---t---t---t---t---t---t---t---t---t---t
 * from hostA:         h-h-h-h-h-h--m-h---h---h                  (silence)
 * effects:            k k k k k (ok)m k   k   k                        c
 * and before k:       a
 *   a: appeared, at its first HostID (it may have missed our wake-up burst: the driver welcomes it with one)
 *   k: observed, its clock reference after each HostID (for its statistics)
 *   o: open hostA (the clock locked after the wake-up burst)
 *   m: a Midi packet of hostA's, with the clock offset at its arrival
 *   c: close hostA, 1 s after its last HostID ('timeout'); a Bye closes at once
 * ```
 * Midi that comes before the clock locks feeds it too, and waits (at most 64
 * packets) to follow the `open`. On a WAN (`completionTimeoutMs` > 0) a remote exists only
 * over a link: `linkUp` makes it, HostIDs from no link are rejected, `linkDown`
 * closes it, and one not open `completionTimeoutMs` after its link came up, or
 * silent for `timeoutMs`, is dropped with an `unlink` for the station. A HostID whose clock went back by over a second means
 * the remote restarted: it is `observed` as a restart (its notes may hang),
 * and its clock reference starts over. Serials, streams and delivery are the
 * remote's receive path's business (receivePath), not the table's.
 *
 * Scheduler: none; a pure fold. Time comes in with the inputs (`at`): the
 * station stamps arrivals, and `tableTicks(scheduler)` brings the ticks.
 */
import {
  interval,
  map,
  mergeMap,
  scan,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ClockReference, RestartReport, SerialStamped } from '../model/pipeline.js';
import {
  peerKey,
  type CloseReason,
  type LinkChange,
  type PeerAddress,
  type StationLimits,
  type StreamName,
} from '../model/station.js';
import { decodeCapabilities } from '../wire/capabilities.js';
import type { HostIdPacket, MidiPacket } from '../wire/packet.js';
import type { Arrival } from '../wire/station.js';
import {
  clockFilterFor,
  clockStep,
  initialClockState,
  toClockReference,
  type ClockFilterParams,
  type ClockState,
} from './clock-reference.js';

export interface Tick {
  readonly kind: 'tick';
  readonly at: number;
}

export type TableInput = Arrival | LinkChange | Tick;

/** The table's sense of time: a tick every 100 ms, for its timeouts (the 1 s of SPEC §6 within 10 %). */
export function tableTicks(scheduler: SchedulerLike): Observable<Tick> {
  return interval(TICK_MS, scheduler).pipe(map((): Tick => ({ kind: 'tick', at: scheduler.now() })));
}

const TICK_MS = 100;

/** What the remote's sessions need to know of it when it opens. */
export interface RemotePeer {
  readonly key: string;
  readonly name: string;
  readonly from: PeerAddress;
  /** It reads fine-dated Midi packets (an msinet station, SPEC §11). */
  readonly fineDates: boolean;
  /** It takes port-255 events on a reliable path (TCP); a version-1 LAN station does not. */
  readonly reliable: boolean;
}

/** A Midi packet of an open remote, for its receive path; `serial` and `date` are the packet's, for serial tracking. */
export interface RemotePacket extends SerialStamped {
  readonly kind: 'packet';
  readonly key: string;
  readonly stream: StreamName;
  /** R: local arrival time. */
  readonly at: number;
  /** The remote's clock offset (local − remote) when it arrived. */
  readonly offset: number;
  readonly packet: MidiPacket;
}

export type TableEffect =
  | ({ readonly kind: 'open' } & RemotePeer)
  | { readonly kind: 'close'; readonly key: string; readonly name: string; readonly reason: CloseReason }
  | RemotePacket
  | { readonly kind: 'observed'; readonly key: string; readonly report: ClockReference | RestartReport }
  /** The first HostID of a remote, or of one that restarted: it may have missed our wake-up burst. */
  | { readonly kind: 'appeared'; readonly key: string }
  | { readonly kind: 'echo'; readonly to: PeerAddress; readonly payload: Uint8Array }
  | { readonly kind: 'rejected'; readonly reason: string; readonly from: PeerAddress }
  /** WAN: the station should end the peer's link. */
  | { readonly kind: 'unlink'; readonly peer: PeerAddress; readonly reason: CloseReason };

export interface RemoteEntry {
  readonly key: string;
  readonly from: PeerAddress;
  readonly name: string;
  readonly clock: ClockState;
  /** Its client exists (the clock reference locked). */
  readonly open: boolean;
  /** Local time of the last HostID or Midi packet from it. */
  readonly lastHeard: number;
  /** WAN: when its link came up (undefined on a LAN). */
  readonly linkedAt: number | undefined;
  /** Its last HostID clock, to see it restart. */
  readonly lastClock: number;
  readonly fineDates: boolean;
  readonly reliable: boolean;
  /** Midi packets that came before the clock reference locked, played once it does. */
  readonly early: readonly RemotePacket[];
}

/**
 * Packets kept from a remote whose client does not exist yet. A station that wakes to
 * send at once (`msinet send`) may lock its peer before the peer has locked it: its first
 * packets then wait here, a few hundred ms at most, instead of being lost.
 */
const MAX_EARLY_PACKETS = 64;

/** SPEC §1: a remote client's name has at most 31 characters. */
const REMOTE_NAME_MAX = 31;

/** A HostID clock this far behind the previous one means the station restarted. */
const RESTART_JUMP_MS = 1000;

export interface TableState {
  readonly remotes: ReadonlyMap<string, RemoteEntry>;
}

export interface TableParams {
  clock: ClockFilterParams;
  /** A remote without HostID for this long is gone (LAN: 1 s, SPEC §6). */
  timeoutMs: number;
  /** At most this many remotes; HostIDs from more are rejected (bounded memory). */
  maxRemotes: number;
  /** Host names are cut to this many characters (SPEC §1: 31). */
  maxNameLength: number;
  /** WAN: remotes exist over links only; one not open this long after its link came is dropped. 0: LAN. */
  completionTimeoutMs: number;
}

/** The table of a station kind at a latency: the original's clock filter for it, the station's limits. */
export function tableParamsFor(maxLatMs: number, limits: StationLimits): TableParams {
  return {
    clock: clockFilterFor(maxLatMs),
    timeoutMs: limits.remoteTimeoutMs,
    maxRemotes: limits.maxRemotes,
    maxNameLength: REMOTE_NAME_MAX,
    completionTimeoutMs: limits.completionTimeoutMs,
  };
}

export interface TableStep {
  state: TableState;
  effects: TableEffect[];
}

export const emptyTable: TableState = { remotes: new Map() };

const RESTART: RestartReport = { kind: 'restart' };

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
  if (known === undefined && params.completionTimeoutMs > 0) {
    return { state, effects: [{ kind: 'rejected', reason: 'HostID over no link', from }] };
  }
  if (known === undefined && state.remotes.size >= params.maxRemotes) {
    return { state, effects: [{ kind: 'rejected', reason: 'too many remotes', from }] };
  }
  const restarted =
    known !== undefined && known.lastClock > 0 && packet.clock + RESTART_JUMP_MS < known.lastClock;
  const capabilities = decodeCapabilities(packet.extra);
  const base: RemoteEntry =
    known === undefined || restarted
      ? newEntry(key, from, at, known?.linkedAt, known?.open ?? false, known?.name)
      : known;
  const clock = clockStep(
    base.clock,
    { remote: packet.clock + (capabilities.fineDates?.clockFraction ?? 0), local: at },
    params.clock,
  );
  const entry: RemoteEntry = {
    ...base,
    name: base.name || packet.name.slice(0, params.maxNameLength) || from.address,
    clock,
    lastHeard: at,
    lastClock: packet.clock,
    fineDates: capabilities.fineDates !== undefined,
    // Over a WAN link every peer takes port 255, on its TCP connection (the original too).
    reliable: capabilities.reliable === true || base.linkedAt !== undefined,
  };
  const { next, open, played } = opening(entry);
  const effects: TableEffect[] = base.clock.window.length === 0 ? [{ kind: 'appeared', key }] : [];
  effects.push(...open);
  if (restarted) effects.push({ kind: 'observed', key, report: RESTART });
  effects.push({ kind: 'observed', key, report: toClockReference(clock) }, ...played);
  return { state: withRemote(state, next), effects };
}

/**
 * A remote not open yet, once its clock reference has locked: it opens, and the Midi it
 * sent meanwhile is played after the `open`, timed by the reference now locked.
 */
function opening(entry: RemoteEntry): { next: RemoteEntry; open: TableEffect[]; played: RemotePacket[] } {
  if (entry.open || !entry.clock.locked) return { next: entry, open: [], played: [] };
  const { key, name, from, fineDates, reliable, clock, early } = entry;
  return {
    next: { ...entry, open: true, early: [] },
    open: [{ kind: 'open', key, name, from, fineDates, reliable }],
    played: early.map((packet) => ({ ...packet, offset: clock.offset })),
  };
}

function remotePacket(
  key: string,
  stream: StreamName,
  at: number,
  offset: number,
  packet: MidiPacket,
): RemotePacket {
  return { kind: 'packet', key, stream, at, offset, packet, serial: packet.serial, date: packet.date };
}

function midi(
  state: TableState,
  from: PeerAddress,
  stream: StreamName,
  at: number,
  packet: MidiPacket,
  params: TableParams,
): TableStep {
  const key = peerKey(from);
  const known = state.remotes.get(key);
  if (known === undefined)
    return { state, effects: [{ kind: 'rejected', reason: 'Midi from an unknown station', from }] };
  // Midi packet dates feed the clock reference too (SPEC §4), before it locks as well: a remote
  // that plays as soon as it has locked on us may lock us with its first notes. Continuations carry none.
  const date = packet.date === 0 ? 0 : packet.date + (packet.fine?.date ?? 0);
  const clock = date === 0 ? known.clock : clockStep(known.clock, { remote: date, local: at }, params.clock);
  const heard: RemoteEntry = { ...known, clock, lastHeard: at };
  if (known.open) {
    const effect = remotePacket(key, stream, at, clock.offset, packet);
    return { state: withRemote(state, heard), effects: [effect] };
  }
  const early =
    known.early.length < MAX_EARLY_PACKETS
      ? [...known.early, remotePacket(key, stream, at, NaN, packet)]
      : known.early;
  const { next, open, played } = opening({ ...heard, early });
  const observed: TableEffect = { kind: 'observed', key, report: toClockReference(clock) };
  return { state: withRemote(state, next), effects: [...open, observed, ...played] };
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
    const incomplete =
      entry.linkedAt !== undefined && !entry.open && at - entry.linkedAt > params.completionTimeoutMs;
    // A linked remote still setting up is judged by the completion timeout alone.
    const silent = (entry.open || entry.linkedAt === undefined) && at - entry.lastHeard > params.timeoutMs;
    if (!incomplete && !silent) continue;
    const reason = incomplete ? 'incomplete' : 'timeout';
    const step = close(next, entry.key, reason);
    next = step.state;
    effects.push(...step.effects);
    if (entry.linkedAt !== undefined) effects.push({ kind: 'unlink', peer: entry.from, reason });
  }
  return { state: next, effects };
}

function linkUp(state: TableState, peer: PeerAddress, at: number, params: TableParams): TableStep {
  const key = peerKey(peer);
  if (state.remotes.has(key)) return { state, effects: [] };
  if (state.remotes.size >= params.maxRemotes) {
    return { state, effects: [{ kind: 'unlink', peer, reason: 'shutdown' }] };
  }
  return { state: withRemote(state, newEntry(key, peer, at, at, false, undefined)), effects: [] };
}

function newEntry(
  key: string,
  from: PeerAddress,
  at: number,
  linkedAt: number | undefined,
  open: boolean,
  name: string | undefined,
): RemoteEntry {
  return {
    key,
    from,
    name: name ?? '',
    clock: initialClockState,
    open,
    lastHeard: at,
    linkedAt,
    lastClock: 0,
    fineDates: false,
    reliable: false,
    early: [],
  };
}

/** One input through the table: the pure step behind `remoteTable`. */
export function tableStep(state: TableState, input: TableInput, params: TableParams): TableStep {
  switch (input.kind) {
    case 'tick':
      return tick(state, input.at, params);
    case 'linkUp':
      return linkUp(state, input.peer, input.at, params);
    case 'linkDown':
      return close(state, peerKey(input.peer), 'link down');
  }
  const { from, packet, at } = input;
  switch (packet.kind) {
    case 'hostId':
      return hello(state, from, at, packet, params);
    case 'bye':
      return close(state, peerKey(from), 'bye');
    case 'tcpBye':
      // Only a TCP link carries a TCPBye (WAN); one in a datagram lies.
      if (input.stream === 'tcp') return close(state, peerKey(from), 'bye');
      break;
    case 'midi':
      return midi(state, from, input.stream, at, packet, params);
    case 'echo':
      return { state, effects: [{ kind: 'echo', to: from, payload: packet.payload }] };
  }
  return {
    state,
    effects: [{ kind: 'rejected', reason: `unexpected ${packet.kind} on ${input.stream}`, from }],
  };
}

export function remoteTable(params: TableParams): OperatorFunction<TableInput, TableEffect> {
  return (source) =>
    source.pipe(
      scan<TableInput, TableStep, TableStep>((step, input) => tableStep(step.state, input, params), {
        state: emptyTable,
        effects: [],
      }),
      mergeMap((step) => step.effects),
    );
}
