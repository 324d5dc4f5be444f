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

const dueOf = (event: MidiEvent) => event.date ?? 0;

export function deliverOnTime(
  late: LatePolicy = 'play',
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<DeliveryPlan, MidiEvent> {
  return (source) =>
    new Observable<MidiEvent>((subscriber) => {
      // One queue in due order and one action for its head: events due at the same
      // moment leave in the order their packets came, whatever the timer does.
      let queue: MidiEvent[] = [];
      let action: Subscription | undefined;
      let scheduledFor = Infinity;
      let sourceDone = false;

      function emitDue(this: SchedulerAction<undefined>) {
        const now = scheduler.now();
        let sent = 0;
        while (sent < queue.length && dueOf(queue[sent] as MidiEvent) <= now && !subscriber.closed) {
          subscriber.next(queue[sent] as MidiEvent);
          sent += 1;
        }
        queue = queue.slice(sent);
        const next = queue[0];
        if (next !== undefined && !subscriber.closed) {
          scheduledFor = dueOf(next);
          this.schedule(undefined, scheduledFor - now);
          return;
        }
        action = undefined;
        scheduledFor = Infinity;
        if (sourceDone) subscriber.complete();
      }

      const upstream = source.subscribe({
        next: (plan) => {
          if (plan.late && late === 'drop') return;
          const events = dueEvents(plan);
          const first = events[0];
          if (first === undefined) return;
          const last = queue[queue.length - 1];
          queue = queue.concat(events);
          // Plans of one stream come due in order (planDelivery sees to it); a stable sort mends the rest.
          if (last !== undefined && dueOf(first) < dueOf(last)) queue.sort((x, y) => dueOf(x) - dueOf(y));
          const head = dueOf(queue[0] as MidiEvent);
          if (action !== undefined && head >= scheduledFor) return;
          action?.unsubscribe();
          scheduledFor = head;
          action = scheduler.schedule(emitDue, Math.max(0, head - scheduler.now()));
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (action === undefined) subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        action?.unsubscribe();
      };
    });
}
