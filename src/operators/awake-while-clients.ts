/**
 * awakeWhileClients(lingerMs, scheduler): the number of open local clients →
 * whether the driver is awake (SPEC §6 Sleeping, with `--linger`): awake from
 * the first client, asleep `lingerMs` after the last one closed, unless
 * another opened meanwhile.
 *
 * ```
 * lingerMs = 5
 * clientCount$:  0--1--0--1--0--------|
 * output:        f--t-------------f---|      t at 3; the 0 at 6 is followed by a 1 within 5 ms:
 *                                            still awake; asleep at 17, 5 ms after the 0 at 12
 * ```
 * Why linger: a station that sleeps the moment its last client closes flaps
 * (Bye, then woken again by the next `msinet send`, with its 1–3 s of
 * discovery), and a note sent by one command and ended by the next is cut by
 * the receiver's stuck-note guard when the sender says Bye in between. The
 * output starts with the first count, repeats no value, and completes with
 * the counts (a linger still running is dropped: the driver is stopping).
 *
 * Scheduler: `scheduler`, for the linger timer.
 */
import {
  distinctUntilChanged,
  map,
  of,
  switchMap,
  timer,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';

export function awakeWhileClients(
  lingerMs: number,
  scheduler: SchedulerLike,
): OperatorFunction<number, boolean> {
  return (clientCount$) =>
    clientCount$.pipe(
      map((count) => count > 0),
      distinctUntilChanged(),
      switchMap((clients, index) =>
        // The very first value is the state as it is: no linger for a driver that never woke.
        clients || index === 0 || lingerMs <= 0
          ? of(clients)
          : timer(lingerMs, scheduler).pipe(map(() => false)),
      ),
      distinctUntilChanged(),
    );
}
