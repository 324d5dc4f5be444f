/**
 * sleepUntilFirstClient(clientCount$): the network pipeline runs only while a
 * local client is open (SPEC §6 Sleeping). The wrapped Observable opens its
 * sockets when subscribed and closes them on unsubscribe (DESIGN.md), so
 * subscribing it at the first client wakes the driver and unsubscribing after
 * the last puts it to sleep (its teardown broadcasts Bye).
 *
 * ```
 * clientCount$:   0---1---2-------1---0-------1---|
 * network$ subs:      ^---------------!       ^---!      subscribed at 0→1, released at 1→0
 * output:             network$'s values while awake  ---|  completes when clientCount$ does
 * ```
 * Contract: `network$.pipe(sleepUntilFirstClient(clientCount$))`, where
 * `clientCount$` emits the number of open local clients whenever it changes.
 * Repeated counts above zero change nothing (one subscription, like `share`
 * with refCount counting clients instead of subscribers). When `clientCount$`
 * completes the driver is shutting down: the network is released, then the
 * output completes. If `network$` completes while awake the output stays open
 * and the next wake-up subscribes it again. Subscribe the output once and
 * `share()` it if several branches read it.
 *
 * Scheduler: none (follows clientCount$).
 */
import {
  EMPTY,
  distinctUntilChanged,
  endWith,
  map,
  switchMap,
  type Observable,
  type OperatorFunction,
} from 'rxjs';

export function sleepUntilFirstClient<T>(clientCount$: Observable<number>): OperatorFunction<T, T> {
  return (network$) =>
    clientCount$.pipe(
      endWith(0),
      map((count) => count > 0),
      distinctUntilChanged(),
      switchMap((awake) => (awake ? network$ : EMPTY)),
    );
}
