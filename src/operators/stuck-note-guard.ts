/**
 * stuckNoteGuard(release$): the events ONE remote delivers to local clients →
 * the same events, plus a keyOff for every note still hanging when `release$`
 * emits, and for every note still hanging when the events end (SPEC §4: a lost
 * keyOff must not leave a note hanging forever).
 *
 * ```
 * source:   --a--b--c--------e----|     a: keyOn 60   b: keyOn 62   c: keyOff 60   e: keyOn 64
 * release$: -----------r--r--------     its stream had a gap (gapReleases), or it restarted
 * output:   --a--b--c--x-----e----(y|)  x: keyOff 62, dated at the release (11); the second
 *                                       release finds nothing; y: keyOff 64 when the remote ends
 * ```
 * A note hangs from a keyOn with a velocity until a keyOff (or a keyOn with
 * velocity 0) on the same port, channel and pitch; a `note` event ends by
 * itself and is not tracked. A keyOff made here has velocity 64 (the MIDI
 * default release velocity). The output ends with the source, after the
 * keyOffs: a remote's events end when it closes, and what it left hanging
 * ends with it. `release$` ending changes nothing; an error of either is the
 * output's (and releases nothing: the pipeline is breaking, not the remote
 * leaving).
 *
 * Scheduler: `scheduler` (default `asyncScheduler`), only to date the keyOffs.
 */
import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { KeyEvent, MidiEvent } from '../model/event.js';

/** port/chan/pitch as one number (a string per key event would cost more than the rest of the step). */
const noteKey = (e: KeyEvent) => e.port * 0x10000 + e.chan * 0x100 + e.pitch;

/** Notes sounding, by port/chan/pitch. Every key event passes here: the map is updated in place. */
export type HangingNotes = Map<number, KeyEvent>;

/** An event on its way to local clients: remembered if it starts a note, forgotten if it ends one. */
export function trackNote(hanging: HangingNotes, event: MidiEvent): void {
  if (event.type === 'keyOn' && event.vel > 0) hanging.set(noteKey(event), event);
  else if (event.type === 'keyOn' || event.type === 'keyOff') hanging.delete(noteKey(event));
}

/** The keyOffs that end every hanging note, dated `now`; nothing hangs afterwards. */
export function releaseNotes(hanging: HangingNotes, now: number): MidiEvent[] {
  const keyOffs = [...hanging.values()].map((on): MidiEvent => ({
    type: 'keyOff',
    port: on.port,
    chan: on.chan,
    pitch: on.pitch,
    vel: 64,
    date: now,
  }));
  hanging.clear();
  return keyOffs;
}

export function stuckNoteGuard(
  release$: Observable<unknown>,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<MidiEvent> {
  return (source) =>
    // Written out rather than composed (merge, mergeMap): every delivered event passes here,
    // and this way it costs one map update, not a wrapper object and an Observable each.
    new Observable<MidiEvent>((subscriber) => {
      const hanging: HangingNotes = new Map();
      const release = () => {
        for (const keyOff of releaseNotes(hanging, scheduler.now())) subscriber.next(keyOff);
      };
      const releases = release$.subscribe({
        next: release,
        error: (error: unknown) => subscriber.error(error),
      });
      const events = source.subscribe({
        next: (event) => {
          trackNote(hanging, event);
          subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          release();
          subscriber.complete();
        },
      });
      return () => {
        events.unsubscribe();
        releases.unsubscribe();
      };
    });
}
