/**
 * gapReleases(leadMs, scheduler): the delivery plans of ONE stream → a
 * release marker just before each plan that follows lost packets plays, for
 * the stuck-note guard (SPEC §4: a lost keyOff must not leave a note hanging).
 *
 * ```
 * leadMs = 0.5 (one frame is 1 ms)
 * plans:   --p--q----|           p: on time: nothing to release
 *                                q: after lost packets (releasesNotes), its first event due at 14.5
 * output:  --------------(r|)    r = 14, emitted at 14 = 14.5 − 0.5: the notes begun before the
 *                                gap end just before q's first event sounds; then the output ends
 * ```
 * Notes still on their way from before the gap sound first; only then do the
 * ones left hanging end. A release whose time has passed comes at once. The
 * output completes when the plans have and every pending release has come;
 * unsubscribing cancels what is pending.
 *
 * Scheduler: `scheduler`, one timer per releasing plan (packets after a gap are rare).
 */
import { EMPTY, map, mergeMap, timer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { DeliveryPlan } from '../model/pipeline.js';
import { relRange } from './plan-delivery.js';

/** When a plan's first event is due. */
const firstDue = (plan: DeliveryPlan) => plan.at + relRange(plan.events)[0];

export function gapReleases(
  leadMs: number,
  scheduler: SchedulerLike,
): OperatorFunction<DeliveryPlan, number> {
  return mergeMap((plan) =>
    plan.releasesNotes
      ? timer(Math.max(0, firstDue(plan) - leadMs - scheduler.now()), scheduler).pipe(
          map(() => scheduler.now()),
        )
      : EMPTY,
  );
}
