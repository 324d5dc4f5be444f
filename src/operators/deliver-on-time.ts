/**
 * deliverOnTime(late): delivery plans → their events, each emitted at its due
 * time `plan.at + relative date`, with `date` set to that local time (SPEC §4
 * Latency).
 *
 * ```
 * plans:   -------------x-----------y--|       x = { at: 23, events: [a rel 0, b rel 4] }
 *                                              y = { at: 25, late, events: [c rel 0] }
 * output:  -----------------------a-c-b|      a at 23, c at 25, b at 27, each dated so
 * with late = 'drop':  ------------a---b|      y is late: dropped
 * ```
 * Events whose due time has passed leave at once, in their order. The output
 * completes when the plans have completed and every pending event has left;
 * an error is forwarded at once and drops what is pending, like rxjs's `delay`.
 *
 * Scheduler: `scheduler` (default `asyncScheduler`; the driver passes the
 * precise scheduler). One action per plan, rescheduled from one due time to
 * the next, not one timer per event.
 */
import {
  Observable,
  Subscription,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { DeliveryPlan } from '../model/pipeline.js';

export type LatePolicy = 'play' | 'drop';

/** A plan's events dated with their local due times, in the order they fall due. */
export function dueEvents(plan: DeliveryPlan): MidiEvent[] {
  return plan.events
    .map((event) => ({ ...event, date: plan.at + (event.date ?? 0) }))
    .sort((x, y) => x.date - y.date);
}

interface Pending {
  events: MidiEvent[];
  /** The next event to emit. */
  next: number;
  /** The action as first scheduled (what `actions` holds); a virtual-time reschedule runs as another. */
  action?: Subscription;
  done: boolean;
}

export function deliverOnTime(
  late: LatePolicy = 'play',
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<DeliveryPlan, MidiEvent> {
  return (source) =>
    new Observable<MidiEvent>((subscriber) => {
      const actions = new Subscription();
      let pendingPlans = 0;
      let sourceDone = false;
      const completeWhenDone = () => {
        if (sourceDone && pendingPlans === 0) subscriber.complete();
      };

      function emitDue(this: SchedulerAction<Pending>, pending?: Pending) {
        if (pending === undefined) return;
        const now = scheduler.now();
        let event = pending.events[pending.next];
        while (event !== undefined && (event.date ?? 0) <= now && !subscriber.closed) {
          pending.next += 1;
          subscriber.next(event);
          event = pending.events[pending.next];
        }
        if (event !== undefined && !subscriber.closed) {
          this.schedule(pending, (event.date ?? 0) - now);
          return;
        }
        pending.done = true;
        if (pending.action !== undefined) actions.remove(pending.action);
        pendingPlans -= 1;
        completeWhenDone();
      }

      const upstream = source.subscribe({
        next: (plan) => {
          if (plan.late && late === 'drop') return;
          const events = dueEvents(plan);
          const first = events[0];
          if (first === undefined) return;
          pendingPlans += 1;
          const pending: Pending = { events, next: 0, done: false };
          const action = scheduler.schedule(
            emitDue,
            Math.max(0, (first.date ?? 0) - scheduler.now()),
            pending,
          );
          if (!pending.done) {
            pending.action = action;
            actions.add(action);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          completeWhenDone();
        },
      });

      return () => {
        upstream.unsubscribe();
        actions.unsubscribe();
      };
    });
}
