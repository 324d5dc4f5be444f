/**
 * When HostID packets leave (SPEC §6): a wake-up burst of 6, 50 ms apart, so
 * peers lock their clock reference quickly, then one every 100 ms — well
 * within the original's 500 ms timeout. A station that appears later missed
 * that burst: each `newcomers$` starts a welcome burst, so it locks its clock
 * on us as soon as we lock on its own wake-up burst, and notes played to it at
 * once are not held until it does. A welcome burst under way is not restarted,
 * so stations appearing in a flood cost at most one burst at a time.
 *
 * ```
 * time (ms):  0    50   100  150  200  250       350  400  450  500  550  600  650
 * newcomers:  -----------------------------------------n----n------------------------
 * output:     b----b----b----b----b----b---------p----w----(pw)-w---(pw)-w----(pw)
 *   b: wake-up burst   p: every 100 ms   w: welcome burst (the second newcomer, during it, starts none)
 * ```
 * Scheduler: `scheduler` (the driver's; TestScheduler in tests).
 */
import {
  concat,
  EMPTY,
  exhaustMap,
  map,
  merge,
  take,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';

export const BURST_COUNT = 6;
export const BURST_SPACING_MS = 50;
export const HELLO_PERIOD_MS = 100;

/** Why a HostID leaves: the wake-up burst, the period, or a welcome burst for a newcomer. */
export type HelloReason = 'burst' | 'period' | 'welcome';

const burst = <R extends HelloReason>(reason: R, scheduler: SchedulerLike): Observable<R> =>
  timer(0, BURST_SPACING_MS, scheduler).pipe(
    take(BURST_COUNT),
    map(() => reason),
  );

export function helloTimer(
  scheduler: SchedulerLike,
  newcomers$: Observable<unknown> = EMPTY,
): Observable<HelloReason> {
  return merge(
    concat(
      burst('burst', scheduler),
      timer(HELLO_PERIOD_MS, HELLO_PERIOD_MS, scheduler).pipe(map((): HelloReason => 'period')),
    ),
    newcomers$.pipe(exhaustMap(() => burst('welcome', scheduler))),
  );
}
