/**
 * When HostID packets leave (SPEC §6): a wake-up burst of 6, 50 ms apart, so
 * peers lock their clock reference quickly, then one every 100 ms — well
 * within the original's 500 ms timeout.
 *
 * ```
 * time (ms): 0    50   100  150  200  250       350       450
 * output:    h----h----h----h----h----h---------h---------h---- …
 * ```
 * Scheduler: `scheduler` (the driver's; TestScheduler in tests).
 */
import { concat, map, take, timer, type Observable, type SchedulerLike } from 'rxjs';

export const BURST_COUNT = 6;
export const BURST_SPACING_MS = 50;
export const HELLO_PERIOD_MS = 100;

export function helloTimer(scheduler: SchedulerLike): Observable<number> {
  return concat(
    timer(0, BURST_SPACING_MS, scheduler).pipe(take(BURST_COUNT)),
    timer(HELLO_PERIOD_MS, HELLO_PERIOD_MS, scheduler).pipe(map((n) => n + BURST_COUNT)),
  );
}
