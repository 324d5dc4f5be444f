/**
 * remoteSession(life, outbound$, options): ONE remote from its open to its
 * close → everything the driver hands to sinks for it: events for its
 * listeners, packets for the station, its statistics, whether its sent events
 * are still on their way, and its closing.
 *
 * ```
 * life.effects$ ─▶ receivePath ─┬─▶ deliveries, rejected ─────────────────────────▶ out
 *                               └─▶ verdicts, plans ─┐
 * observed (clock, restarts) ────────────────────────┼─▶ remoteStats(maxLat) ─▶ stats ─▶ out
 * outbound$ ─ until close ─▶ sendPath ─┬─▶ sent ─────┘
 *                                      └─▶ packets, busy ─────────────────────────────▶ out
 * close ─▶ closing ─────────────────────────────────────────────────────────────────────▶ out
 *
 * G = 10, maxLat = 10 (one frame is 1 ms)
 * effects$:   -k---------------p---(c|)          k: its clock reference (offset 0)
 *                                                p: serial 1 dated 17 arriving at 17, [keyOn rel 0]
 *                                                c: it closed (Bye), and its life ends
 * outbound$:  --a-------------------b            a: a keyOn for it, now;  b: after the close, not taken
 * output:     -wB---------(Pxi)(yz)C-----(nk|)
 *   w, x, y, z: its statistics after each thing counted: k; what was sent (1 packet, 1 event);
 *               p's serial verdict; p's plan (at 27)
 *   B, i: busy from a, until a is in a packet (P: realtime, serial 1, dated 12)
 *   C: closing ('bye');  n: p's keyOn at 27;  k: a keyOff for it, as the session ends
 * ```
 * It completes once the remote has closed, every event planned for its
 * listeners has been delivered, and what it was sent has been packetized: a
 * session's end holds no other session, whatever its latency.
 *
 * Scheduler: `options.scheduler`, through receivePath and sendPath.
 */
import {
  connect,
  endWith,
  ignoreElements,
  filter,
  map,
  merge,
  takeUntil,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { CloseReason } from '../model/station.js';
import type { MidiEvent } from '../model/event.js';
import type { RemoteStats, StatsInput } from '../model/pipeline.js';
import type { LatePolicy } from './deliver-on-time.js';
import { receivePath, type Delivery, type Rejected } from './receive-path.js';
import type { LifeEffect, RemoteLife } from './remote-lives.js';
import { remoteStats } from './remote-stats.js';
import { sendPath, type Busy, type Packets } from './send-path.js';

export interface SessionOptions {
  /** -lat: the jitter budget of its packets. */
  maxLatMs: number;
  /** What to do with its late packets. */
  late: LatePolicy;
  /** -g: its events leave in groups of this period. */
  periodMs: number;
  /** Event bytes per packet on its station (LAN 1468, WAN 480). */
  maxEventBytes: number;
  scheduler: SchedulerLike;
  /** The user's own operators on events from remotes, and on events to them (docs/operators.md). */
  inbound: MonoTypeOperatorFunction<MidiEvent>;
  outbound: MonoTypeOperatorFunction<MidiEvent>;
}

export interface Closing {
  readonly kind: 'closing';
  readonly reason: CloseReason;
}

export interface StatsNow {
  readonly kind: 'stats';
  readonly stats: RemoteStats;
}

export type SessionOutput = Delivery | Rejected | Packets | Busy | Closing | StatsNow;

/** Everything a session's parts put out: what goes on to sinks, and what its statistics count. */
type PartOutput = SessionOutput | StatsInput;

const STATS_KINDS = new Set(['serial', 'plan', 'sent', 'clock', 'restart']);
const isStatsInput = (output: PartOutput): output is StatsInput => STATS_KINDS.has(output.kind);
const isForSinks = (output: PartOutput): output is SessionOutput => !STATS_KINDS.has(output.kind);

export function remoteSession(
  life: RemoteLife,
  outbound$: Observable<MidiEvent>,
  options: SessionOptions,
): Observable<SessionOutput> {
  const { peer } = life;
  return life.effects$.pipe(
    connect((effects$) => {
      const close$ = effects$.pipe(
        filter((e): e is Extract<LifeEffect, { kind: 'close' }> => e.kind === 'close'),
      );
      const observed$ = effects$.pipe(
        filter((e): e is Extract<LifeEffect, { kind: 'observed' }> => e.kind === 'observed'),
        map((e) => e.report),
      );
      const received$ = effects$.pipe(receivePath(options));
      // The life's end (its close, or its effects ending with the table's) ends what it sends.
      const ended$ = merge(close$, effects$.pipe(ignoreElements(), endWith(null)));
      const sent$ = outbound$.pipe(
        takeUntil(ended$),
        sendPath({ ...options, fineDates: peer.fineDates, reliable: peer.reliable }),
      );
      const closing$ = close$.pipe(map(({ reason }): Closing => ({ kind: 'closing', reason })));
      return merge<PartOutput[]>(received$, sent$, observed$, closing$);
    }),
    connect((outputs$) =>
      merge(
        outputs$.pipe(filter(isForSinks)),
        outputs$.pipe(
          filter(isStatsInput),
          remoteStats(options.maxLatMs),
          map((stats): StatsNow => ({ kind: 'stats', stats })),
        ),
      ),
    ),
  );
}
