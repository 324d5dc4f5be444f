/**
 * receivePath(options): the effects of ONE remote's life → its events, each
 * delivered at its date + offset + G + maxLat (SPEC §4), and what its
 * statistics count. One path per stream of the remote (`udp`, `broadcast`,
 * `tcp`: each has serials of its own):
 *
 * ```
 * packets ─ by stream ─▶ trackSerials ─┬─▶ kept ─▶ parseStream ─▶ planDelivery(maxLat) ─┬─▶ deliverOnTime(late) ─▶ user inbound ─▶ stuckNoteGuard ─▶ deliveries
 *                                      └─▶ verdicts (counted)           plans (counted) ◀┤                                                ▲
 *                                                                                        └─▶ gapReleases ─────────── releases ─────────────┤
 * restarts (observed) ─────────────────────────────────────────────────────────────────────────────────────────────── releases ─────────────┘
 *
 * G = 10, maxLat = 10, offset 0 (one frame is 1 ms)
 * effects:  -------------p------(c|)       p: serial 1 dated 13 arriving at 13, [keyOn rel 0] (sent at 3)
 *                                          c: the remote closed at 20 (its life ends)
 * output:   -------------(vq)------(nk|)   v: p's serial verdict; q: its plan, at 23 = 13 + (10 − 0)
 *                                          n: the keyOn, delivered at 23
 *                                          k: a keyOff for it at 23: the path ended with the note still
 *                                             hanging; it ends at 23, not at the close
 * ```
 * A stream's events come out in due order; packets lost before a packet
 * release the notes left hanging just before it plays (gapReleases); a
 * restart releases them at once. On close the path ends only once every
 * event already planned has been delivered, so a Bye never cuts notes on
 * their way, and a remote closing holds no other.
 *
 * Scheduler: `scheduler`, through deliverOnTime, gapReleases and the guard.
 */
import {
  connect,
  filter,
  groupBy,
  map,
  merge,
  mergeMap,
  share,
  type MonoTypeOperatorFunction,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { DeliveryPlan, SerialVerdict } from '../model/pipeline.js';
import { deliverOnTime, type LatePolicy } from './deliver-on-time.js';
import { gapReleases } from './gap-releases.js';
import { parseStream } from './parse-stream.js';
import { planDelivery } from './plan-delivery.js';
import type { LifeEffect } from './remote-lives.js';
import type { RemotePacket } from './remote-table.js';
import { stuckNoteGuard } from './stuck-note-guard.js';
import { isKept, trackSerials } from './track-serials.js';

export interface ReceiveOptions {
  maxLatMs: number;
  late: LatePolicy;
  scheduler: SchedulerLike;
  /** The user's own operators on events from remotes (docs/operators.md). */
  inbound: MonoTypeOperatorFunction<MidiEvent>;
}

/** An event for the remote's listeners, now. */
export interface Delivery {
  readonly kind: 'delivery';
  readonly event: MidiEvent;
}

/** An event dropped from a packet, and why (a counter key for the log). */
export interface Rejected {
  readonly kind: 'rejected';
  readonly reason: string;
}

export type ReceiveOutput = SerialVerdict<RemotePacket> | DeliveryPlan | Delivery | Rejected;

/** A release for lost packets comes this long before the packet after them plays. */
export const RELEASE_LEAD_MS = 0.5;

const toDelivery = (event: MidiEvent): Delivery => ({ kind: 'delivery', event });
const toRejected = (reason: string): Rejected => ({ kind: 'rejected', reason });

/** One stream of the remote: its packets → verdicts, plans, and its events in time. */
function streamPath(
  options: ReceiveOptions,
  restarts$: Observable<unknown>,
): OperatorFunction<RemotePacket, ReceiveOutput> {
  const { maxLatMs, late, scheduler, inbound } = options;
  return (packets$) =>
    packets$.pipe(
      trackSerials(),
      // Every branch below is subscribed before the first verdict flows (connect), so none depends on another.
      connect((verdicts$) => {
        const parsed$ = verdicts$.pipe(filter(isKept), parseStream(), share());
        const plans$ = parsed$.pipe(planDelivery(maxLatMs), share());
        const releases$ = merge(restarts$, plans$.pipe(gapReleases(RELEASE_LEAD_MS, scheduler)));
        const deliveries$ = plans$.pipe(
          deliverOnTime(late, scheduler),
          inbound,
          stuckNoteGuard(releases$, scheduler),
          map(toDelivery),
        );
        const rejected$ = parsed$.pipe(mergeMap((parsed) => parsed.rejected.map(toRejected)));
        return merge(verdicts$, plans$, deliveries$, rejected$);
      }),
    );
}

export function receivePath(options: ReceiveOptions): OperatorFunction<LifeEffect, ReceiveOutput> {
  return connect((effects$) => {
    const restarts$ = effects$.pipe(filter((e) => e.kind === 'observed' && e.report.kind === 'restart'));
    return effects$.pipe(
      filter((effect): effect is RemotePacket => effect.kind === 'packet'),
      groupBy((packet) => packet.stream),
      mergeMap((stream$) => stream$.pipe(streamPath(options, restarts$))),
    );
  });
}
