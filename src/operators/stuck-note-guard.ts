/**
 * stuckNoteGuard(release$): events delivered to local clients, with their
 * remote → the same events, plus a keyOff for every note still hanging from a
 * remote when `release$` names it (SPEC §4: a lost keyOff must not leave a note
 * hanging forever).
 *
 * ```
 * source:   --a--b--c--------e-----|     a: A keyOn 60   b: A keyOn 62   c: A keyOff 60
 *                                        e: B keyOn 64
 * release$: -----------A--------A---     A is gone, or its stream had a gap
 * output:   --a--b--c--x-----e-----|     x: A keyOff 62, dated at the release (11);
 *                                        the second release of A finds nothing left
 * ```
 * A note hangs from a keyOn with a velocity until a keyOff (or a keyOn with
 * velocity 0) on the same remote, port, channel and pitch; a `note` event ends
 * by itself and is not tracked. The keyOff has velocity 64 (the MIDI default
 * release velocity). The output completes with the source; `release$` ending
 * changes nothing.
 *
 * Timing: the driver should name a remote when it is gone, and for a gap at the
 * delivery time of the packet after the gap (its plan's `at`), so that notes
 * from packets before the gap, still on their way, are delivered first.
 *
 * Scheduler: `scheduler` (default `asyncScheduler`), only to date the keyOffs.
 */
import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { KeyEvent } from '../model/event.js';
import type { RemoteEvent } from '../model/pipeline.js';

/**
 * Notes sounding, by remote, then by port/chan/pitch. Every key event of every
 * remote passes here, so the guard updates its maps in place rather than
 * copying them per event: each subscription owns a fresh state (`newGuardState`).
 */
export interface GuardState {
  readonly hanging: Map<string, Map<number, KeyEvent>>;
}

export const newGuardState = (): GuardState => ({ hanging: new Map() });

/** port/chan/pitch as one number (a string per key event would cost more than the rest of the step). */
const noteKey = (e: KeyEvent) => e.port * 0x10000 + e.chan * 0x100 + e.pitch;

/** An event on its way to local clients: remembered if it starts a note, forgotten if it ends one. */
export function trackNote(state: GuardState, { remote, event }: RemoteEvent): void {
  if (event.type !== 'keyOn' && event.type !== 'keyOff') return;
  let notes = state.hanging.get(remote);
  if (event.type === 'keyOn' && event.vel > 0) {
    if (notes === undefined) state.hanging.set(remote, (notes = new Map()));
    notes.set(noteKey(event), event);
  } else if (notes !== undefined) {
    notes.delete(noteKey(event));
    if (notes.size === 0) state.hanging.delete(remote);
  }
}

/** A remote's hanging notes ended: their keyOffs, dated `now`; the remote is forgotten. */
export function releaseNotes(state: GuardState, remote: string, now: number): RemoteEvent[] {
  const notes = state.hanging.get(remote);
  if (notes === undefined) return [];
  state.hanging.delete(remote);
  return [...notes.values()].map((on) => ({
    remote,
    event: { type: 'keyOff', port: on.port, chan: on.chan, pitch: on.pitch, vel: 64, date: now },
  }));
}

export function stuckNoteGuard(
  release$: Observable<string>,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<RemoteEvent> {
  return (source) =>
    // Written out rather than composed (merge, mergeMap): every delivered event passes here,
    // and this way it costs one map update, not a wrapper object and an Observable each.
    new Observable<RemoteEvent>((subscriber) => {
      const state = newGuardState();
      const releases = release$.subscribe({
        next: (remote) => {
          for (const keyOff of releaseNotes(state, remote, scheduler.now())) subscriber.next(keyOff);
        },
        // Its end changes nothing (events still pass); its error is the output's.
        error: (error: unknown) => subscriber.error(error),
      });
      const events = source.subscribe({
        next: (delivered) => {
          trackNote(state, delivered);
          subscriber.next(delivered);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        events.unsubscribe();
        releases.unsubscribe();
      };
    });
}
