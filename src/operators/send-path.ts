/**
 * sendPath(options): the events local clients send to ONE remote → the
 * packets that carry them (SPEC §4 Grouping, §5), what its statistics count,
 * and whether events are still on their way out (`busy`, for `drained`).
 *
 * ```
 * events ─▶ user outbound ─▶ groupEvents(G) ─▶ routePort255(reliable) ─▶ by path ─▶ packetizeGroups ─▶ packets (+ sent)
 *                        └─▶ in flight: events in − events packetized > 0 ─────────────────────────────▶ busy
 *
 * G = 10 (one frame is 1 ms)
 * events:  ---a---b-------------|      a, b: keyOns for now, taken at 3 and 7
 * output:  ---B---------(psi)---|      B: busy (a is in flight)
 *                                      p: realtime packets: serial 1, dated 13, [a rel 0, b rel 4]
 *                                      s: sent 1 packet, 2 events
 *                                      i: busy no more: every event taken is in a packet
 * ```
 * Port-255 events go on the reliable path, with serials of their own, when
 * the peer takes one; else everything rides its UDP stream. Realtime packets
 * carry fine dates to a peer that reads them; reliable ones stay version 1.
 *
 * Scheduler: `scheduler`, through groupEvents.
 */
import {
  connect,
  distinctUntilChanged,
  groupBy,
  map,
  merge,
  mergeMap,
  scan,
  share,
  type MonoTypeOperatorFunction,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { EventPath, SentPackets } from '../model/pipeline.js';
import type { MidiPacket } from '../wire/packet.js';
import { groupEvents } from './group-events.js';
import { packetizeGroups } from './packetize-groups.js';
import { routePort255 } from './route-port255.js';

export interface SendOptions {
  periodMs: number;
  maxEventBytes: number;
  /** The peer reads fine dates (SPEC §11). */
  fineDates: boolean;
  /** The peer takes port 255 on a reliable path. */
  reliable: boolean;
  scheduler: SchedulerLike;
  /** The user's own operators on events to remotes (docs/operators.md). */
  outbound: MonoTypeOperatorFunction<MidiEvent>;
}

/** One group's packets on one path, in serial order. */
export interface Packets {
  readonly kind: 'packets';
  readonly path: EventPath;
  readonly packets: MidiPacket[];
}

/** Events taken and not yet in packets (`true`), or none left (`false`). */
export interface Busy {
  readonly kind: 'busy';
  readonly busy: boolean;
}

export type SendOutput = Packets | SentPackets | Busy;

const ONE = 1;

export function sendPath(options: SendOptions): OperatorFunction<MidiEvent, SendOutput> {
  const { periodMs, maxEventBytes, fineDates, reliable, scheduler, outbound } = options;
  return (events$) =>
    events$.pipe(
      outbound,
      connect((taken$) => {
        const packets$ = taken$.pipe(
          groupEvents(periodMs, scheduler),
          routePort255(reliable),
          groupBy((group) => group.path),
          mergeMap((path$) =>
            path$.pipe(
              packetizeGroups(maxEventBytes, () => fineDates && path$.key === 'realtime'),
              map(({ packets, events }) => ({ path: path$.key, packets, events })),
            ),
          ),
          share(),
        );
        const busy$ = merge(taken$.pipe(map(() => ONE)), packets$.pipe(map(({ events }) => -events))).pipe(
          scan((inFlight, change) => inFlight + change, 0),
          map((inFlight) => inFlight > 0),
          distinctUntilChanged(),
          map((busy): Busy => ({ kind: 'busy', busy })),
        );
        return merge(
          packets$.pipe(
            mergeMap(({ path, packets, events }): SendOutput[] => [
              { kind: 'packets', path, packets },
              { kind: 'sent', packets: packets.length, events },
            ]),
          ),
          busy$,
        );
      }),
    );
}
