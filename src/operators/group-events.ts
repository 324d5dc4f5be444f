/**
 * groupEvents(G): the events for ONE remote, collected over grouping periods
 * (SPEC §4 Grouping). The caller groups by remote first (groupBy / mergeMap).
 *
 * ```
 * G = 10 ms                  periods: [3,13) [13,23) [23,33) empty: idle  [40,50), cut at 45
 * source:  ---a---b-------c------------------------d----|
 * output:  -------------x---------y---------------------(z|)
 *   x at 13 = { date: 13, events: [a rel 0, b rel 4] }     rel = date − (D − G)
 *   y at 23 = { date: 23, events: [c rel 2] }              (c came at 15; 15 − 13)
 *   nothing at 33: the period [23,33) was empty, so no timer runs until d
 *   z at 45 = { date: 45, events: [d rel 5] }              the source completed: what is
 *                                                          collected leaves at once
 * ```
 * The first event at t0 opens a period; at t0+G everything collected leaves as
 * one group stamped D = now; while events keep coming a group leaves every G ms,
 * periods back to back; a period that ends empty emits nothing and stops the
 * timer. An event's own `date` is used when it has one, else its arrival time.
 * D keeps its sub-ms part; relative dates are counted from round(D) − G, the
 * whole ms a version-1 packet carries, so rounding each to a whole ms on the
 * wire errs by at most 0.5 ms, and nothing when fine dates carry the rest.
 * They are clamped to the i16 range the wire has.
 *
 * Scheduler: `scheduler` (default `asyncScheduler`): `now()` stamps arrivals and
 * D, `schedule()` closes periods (one action per busy stretch, rescheduled).
 * An error drops what was collected, like rxjs's `bufferTime`.
 */
import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { withDate, type MidiEvent } from '../model/event.js';
import type { EventGroup } from '../model/pipeline.js';
import { wholeMs } from '../wire/fine-dates.js';

const I16_MIN = -32768;
const I16_MAX = 32767;

/** An event's date relative to round(D) − G (D's whole ms as the packet carries it), within the wire's i16 range. */
export function relativeDate(date: number, groupDate: number, periodMs: number): number {
  return Math.min(I16_MAX, Math.max(I16_MIN, date - (wholeMs(groupDate) - periodMs)));
}

export function groupEvents(
  periodMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<MidiEvent, EventGroup> {
  return (source) =>
    new Observable<EventGroup>((subscriber) => {
      // Events and their dates (the arrival time when an event has none), side by side.
      let collected: MidiEvent[] = [];
      let dates: number[] = [];
      /** The action that closes the open period; undefined while idle. */
      let period: { unsubscribe(): void } | undefined;

      const emitCollected = () => {
        const date = scheduler.now();
        const events = collected.map((event, i) =>
          withDate(event, relativeDate(dates[i] ?? date, date, periodMs)),
        );
        // Cleared before emitting: an event sent back in from a subscriber opens the next group.
        collected = [];
        dates = [];
        subscriber.next({ kind: 'group', date, events });
      };

      function closePeriod(this: SchedulerAction<undefined>) {
        if (collected.length === 0) {
          period = undefined;
          return;
        }
        // The next period is scheduled before emitting, so an unsubscribe from
        // inside `next` finds it and cancels it.
        period = this.schedule(undefined, periodMs);
        emitCollected();
      }

      const upstream = source.subscribe({
        next: (event) => {
          collected.push(event);
          dates.push(event.date ?? scheduler.now());
          period ??= scheduler.schedule(closePeriod, periodMs);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (collected.length > 0) emitCollected();
          subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        period?.unsubscribe();
      };
    });
}
