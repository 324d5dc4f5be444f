/**
 * expandNotes(scheduler): events on their way to a MIDI output, with each
 * MidiShare `note` (which carries its duration) played as MIDI plays it: its
 * key on at once, its key off `dur` ms later (velocity 64, see note-expand).
 * Every other event passes at once.
 *
 * ```
 * n: note pitch 60 dur 5, delivered at 1;  e: any other event
 * source:  -n------e---|
 * output:  -a----b-e---|        a: keyOn 60 at 1; b: its keyOff at 6
 *
 * source:  -n--|                the output closes before the key off is due:
 * output:  -a--(b|)             it is played at once, so no note is left sounding
 * ```
 * An error flushes the due key offs too, then passes on; unsubscribing
 * cancels them (nothing is left to play them on).
 *
 * Scheduler: `scheduler` for the key offs (the precise scheduler in
 * production). A pure operator: it lives beside the MIDI output it serves.
 */
import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { KeyEvent, MidiEvent } from '../model/event.js';
import { expandNote } from '../model/note-expand.js';

export function expandNotes(scheduler: SchedulerLike): MonoTypeOperatorFunction<MidiEvent> {
  return (source) =>
    new Observable<MidiEvent>((subscriber) => {
      /** Key offs still to play, by the timer that plays them. */
      const due = new Map<Subscription, KeyEvent>();
      const flush = (): void => {
        const now = scheduler.now();
        for (const [timer, keyOff] of [...due]) {
          timer.unsubscribe();
          due.delete(timer);
          subscriber.next({ ...keyOff, date: now });
        }
      };
      const upstream = source.subscribe({
        next(event) {
          if (event.type !== 'note') {
            subscriber.next(event);
            return;
          }
          const [keyOn, keyOff] = expandNote(event, scheduler.now());
          subscriber.next(keyOn);
          const timer = scheduler.schedule(
            () => {
              due.delete(timer);
              subscriber.next(keyOff);
            },
            Math.max(0, event.dur),
          );
          if (!timer.closed) due.set(timer, keyOff);
        },
        error(error: unknown) {
          flush();
          subscriber.error(error);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        for (const timer of due.keys()) timer.unsubscribe();
        due.clear();
      };
    });
}
