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
  endWith,
  ignoreElements,
  map,
  merge,
  mergeMap,
  scan,
  takeUntil,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { KeyEvent } from '../model/event.js';
import type { RemoteEvent } from '../model/pipeline.js';

type GuardInput = { kind: 'event'; delivered: RemoteEvent } | { kind: 'release'; remote: string };

export interface GuardState {
  /** Notes sounding, by remote, then by `port/chan/pitch`. */
  hanging: ReadonlyMap<string, ReadonlyMap<string, KeyEvent>>;
  /** What the last step lets out. */
  out: readonly RemoteEvent[];
}

export const initialGuardState: GuardState = { hanging: new Map(), out: [] };

const noteKey = (e: KeyEvent) => `${e.port}/${e.chan}/${e.pitch}`;

function withNotes(
  hanging: GuardState['hanging'],
  remote: string,
  notes: ReadonlyMap<string, KeyEvent>,
): GuardState['hanging'] {
  const next = new Map(hanging);
  if (notes.size === 0) next.delete(remote);
  else next.set(remote, notes);
  return next;
}

/** One input through the guard: the pure step behind `stuckNoteGuard`. */
export function guardStep(state: GuardState, input: GuardInput, now: number): GuardState {
  if (input.kind === 'release') {
    const notes = state.hanging.get(input.remote);
    if (notes === undefined) return { hanging: state.hanging, out: [] };
    const offs = [...notes.values()].map((on): RemoteEvent => ({
      remote: input.remote,
      event: { type: 'keyOff', port: on.port, chan: on.chan, pitch: on.pitch, vel: 64, date: now },
    }));
    return { hanging: withNotes(state.hanging, input.remote, new Map()), out: offs };
  }
  const { remote, event } = input.delivered;
  const out = [input.delivered];
  if (event.type !== 'keyOn' && event.type !== 'keyOff') return { hanging: state.hanging, out };
  const notes = new Map(state.hanging.get(remote));
  if (event.type === 'keyOn' && event.vel > 0) notes.set(noteKey(event), event);
  else notes.delete(noteKey(event));
  return { hanging: withNotes(state.hanging, remote, notes), out };
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
      scan(
        (state: GuardState, input: GuardInput) => guardStep(state, input, scheduler.now()),
        initialGuardState,
      ),
      mergeMap((state) => state.out),
    );
}
