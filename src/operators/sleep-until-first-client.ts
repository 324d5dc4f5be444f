/**
 * sleepUntilFirstClient(awake$): the network pipeline runs only while the
 * driver is awake (SPEC §6 Sleeping): `awake$` is the hub's, true from the
 * first local client until `--linger` after the last (awakeWhileClients).
 * The wrapped Observable opens its sockets when subscribed and closes them on
 * unsubscribe (DESIGN.md), so subscribing it wakes the driver and
 * unsubscribing puts it to sleep (its teardown broadcasts Bye).
 *
 * ```
 * awake$:         f---t---t-------t---f-------t---|
 * network$ subs:      ^---------------!       ^---!      subscribed at false→true, released at true→false
 * output:             network$'s values while awake  ---|  completes when awake$ does
 * ```
 * Repeated trues change nothing (one subscription, like `share` with
 * refCount counting clients instead of subscribers). When `awake$` completes
 * the driver is shutting down: the network is released, then the output
 * completes. If `network$` completes while awake the output stays open and
 * the next wake-up subscribes it again. Subscribe the output once and
 * `share()` it if several branches read it.
 *
 * Scheduler: none (follows awake$).
 */
import {
  EMPTY,
  distinctUntilChanged,
  endWith,
  switchMap,
  type Observable,
  type OperatorFunction,
} from 'rxjs';

export function sleepUntilFirstClient<T>(awake$: Observable<boolean>): OperatorFunction<T, T> {
  return (network$) =>
    awake$.pipe(
      endWith(false),
      distinctUntilChanged(),
      switchMap((awake) => (awake ? network$ : EMPTY)),
    );
}
