/**
 * deliverOnTime(late): delivery plans → their events, each emitted at its due
 * time `plan.at + relative date`, with `date` set to that local time (SPEC §4
 * Latency).
 *
 * ```
 * plans:   -------------x-----------y--|     x = { at: 23, events: [a rel 0, b rel 4] }
 *                                            y = { at: 25, late, events: [c rel 0] }
 * output:  -----------------------a-c-b|     late = 'play': a at 23, c at 25, b at 27, each dated so
 * output:  -----------------------a---b|     late = 'drop': y is late, dropped
 * ```
 * Events whose due time has passed leave at once, in their order. The output
 * completes when the plans have completed and every pending event has left;
 * an error is forwarded at once and drops what is pending, like rxjs's `delay`.
 *
 * Scheduler: `scheduler` (default `asyncScheduler`; the driver passes the
 * precise scheduler). One pending action at a time, for the earliest due time
 * in the queue, not one timer per event.
 */
import { Observable, Subscription, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { withDate, type MidiEvent } from '../model/event.js';
import type { DeliveryPlan } from '../model/pipeline.js';

export type LatePolicy = 'play' | 'drop';

/** A plan's events dated with their local due times, in the order they fall due. */
export function dueEvents(plan: DeliveryPlan): MidiEvent[] {
  const events = plan.events.map((event) => withDate(event, plan.at + (event.date ?? 0)));
  // Most packets are already in date order: sort only those that are not.
  const inOrder = events.every((event, i) => i === 0 || event.date >= (events[i - 1]?.date ?? -Infinity));
  return inOrder ? events : events.sort((x, y) => x.date - y.date);
}

const dueOf = (event: MidiEvent) => event.date ?? 0;
/** Delivered events the queue may keep at its front before it is compacted. */
const COMPACT_AFTER = 1024;

export function deliverOnTime(
  late: LatePolicy = 'play',
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<DeliveryPlan, MidiEvent> {
  return (source) =>
    new Observable<MidiEvent>((subscriber) => {
      // One queue in due order and one action for its head: events due at the same
      // moment leave in the order their packets came, whatever the timer does.
      // Events leave from `head` on; the array is compacted now and then, not on every
      // emission, so a burst of thousands of events costs linear time.
      let queue: MidiEvent[] = [];
      let head = 0;
      let action: Subscription | undefined;
      let scheduledFor = Infinity;
      let sourceDone = false;
      /** Inside emitDue: a plan sent in by a subscriber joins the queue and waits for its turn. */
      let emitting = false;

      const compact = () => {
        queue = queue.slice(head);
        head = 0;
      };

      /** Emits every event due by now, in order; answers when the next one is due (Infinity: none). */
      const emitDue = (): number => {
        const now = scheduler.now();
        emitting = true;
        while (head < queue.length && dueOf(queue[head] as MidiEvent) <= now && !subscriber.closed) {
          const event = queue[head] as MidiEvent;
          head += 1;
          subscriber.next(event);
        }
        emitting = false;
        if (head === queue.length) {
          queue = [];
          head = 0;
        } else if (head >= COMPACT_AFTER && head * 2 >= queue.length) compact();
        const next = queue[head];
        return next !== undefined && !subscriber.closed ? dueOf(next) : Infinity;
      };

      const onTimer = () => {
        action = undefined;
        scheduledFor = emitDue();
        // A new action, timed from now: the precise scheduler counts a rescheduled action's delay
        // from its last deadline (so periods do not drift), which here would fire early, again and again.
        if (scheduledFor !== Infinity)
          action = scheduler.schedule(onTimer, Math.max(0, scheduledFor - scheduler.now()));
        else if (sourceDone) subscriber.complete();
      };

      const upstream = source.subscribe({
        next: (plan) => {
          if (plan.late && late === 'drop') return;
          const events = dueEvents(plan);
          const first = events[0];
          if (first === undefined) return;
          const last = queue[queue.length - 1];
          for (const event of events) queue.push(event);
          // Plans of one stream come due in order (planDelivery sees to it); a stable sort mends the rest.
          if (last !== undefined && dueOf(first) < dueOf(last)) {
            compact();
            queue.sort((x, y) => dueOf(x) - dueOf(y));
          }
          // What is due already (a late packet) leaves now, not after whatever else this loop turn holds
          // (a burst's other datagrams): the queue's order is kept, since everything due before it leaves first.
          if (emitting) return;
          const due =
            dueOf(queue[head] as MidiEvent) <= scheduler.now() ? emitDue() : dueOf(queue[head] as MidiEvent);
          if (due === Infinity || (action !== undefined && due >= scheduledFor)) return;
          action?.unsubscribe();
          scheduledFor = due;
          action = scheduler.schedule(onTimer, Math.max(0, due - scheduler.now()));
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
