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
import {
  asyncScheduler,
  connect,
  defer,
  endWith,
  ignoreElements,
  map,
  merge,
  mergeMap,
  takeUntil,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { KeyEvent } from '../model/event.js';
import type { RemoteEvent } from '../model/pipeline.js';

type GuardInput = { kind: 'event'; delivered: RemoteEvent } | { kind: 'release'; remote: string };

/**
 * Notes sounding, by remote, then by `port/chan/pitch`. Every key event of every
 * remote passes here, so the fold updates its maps in place rather than copying
 * them per event: each subscription owns a fresh state (`newGuardState`).
 */
export interface GuardState {
  readonly hanging: Map<string, Map<string, KeyEvent>>;
}

export const newGuardState = (): GuardState => ({ hanging: new Map() });

const noteKey = (e: KeyEvent) => `${e.port}/${e.chan}/${e.pitch}`;

/** One input through the guard: updates `state`, answers what it lets out. */
export function guardStep(state: GuardState, input: GuardInput, now: number): RemoteEvent[] {
  if (input.kind === 'release') {
    const notes = state.hanging.get(input.remote);
    if (notes === undefined) return [];
    state.hanging.delete(input.remote);
    return [...notes.values()].map((on) => ({
      remote: input.remote,
      event: { type: 'keyOff', port: on.port, chan: on.chan, pitch: on.pitch, vel: 64, date: now },
    }));
  }
  const { remote, event } = input.delivered;
  if (event.type !== 'keyOn' && event.type !== 'keyOff') return [input.delivered];
  let notes = state.hanging.get(remote);
  if (event.type === 'keyOn' && event.vel > 0) {
    if (notes === undefined) state.hanging.set(remote, (notes = new Map()));
    notes.set(noteKey(event), event);
  } else if (notes !== undefined) {
    notes.delete(noteKey(event));
    if (notes.size === 0) state.hanging.delete(remote);
  }
  return [input.delivered];
}

export function stuckNoteGuard(
  release$: Observable<string>,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<RemoteEvent> {
  return (source) =>
    source.pipe(
      connect((delivered$) =>
        merge(
          delivered$.pipe(map((delivered): GuardInput => ({ kind: 'event', delivered }))),
          release$.pipe(
            takeUntil(delivered$.pipe(ignoreElements(), endWith(true))),
            map((remote): GuardInput => ({ kind: 'release', remote })),
          ),
        ),
      ),
      (inputs) =>
        defer(() => {
          const state = newGuardState();
          return inputs.pipe(mergeMap((input) => guardStep(state, input, scheduler.now())));
        }),
    );
}
