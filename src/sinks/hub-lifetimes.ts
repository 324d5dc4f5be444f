/**
 * Lifetimes on the hub's public API (hub.ts), for the clients the driver opens
 * itself, such as MIDI ports: a resource that lives while subscribed, each
 * remote station from its arrival to its departure, and a client that sends
 * to every station.
 */
import {
  defer,
  filter,
  finalize,
  ignoreElements,
  map,
  mergeMap,
  scan,
  take,
  tap,
  throwError,
  type Observable,
} from 'rxjs';
import type { Client } from '../model/registry.js';
import type { Result } from '../model/result.js';
import type { Hub } from './hub.js';

/** Why a resource could not be opened: `whileOpen`'s error. */
export class OpenError extends Error {
  override name = 'OpenError';
}

/**
 * Opens a resource when subscribed (a failure is an OpenError with the
 * reason), runs `use` with it, and closes it when that ends or is
 * unsubscribed.
 */
export function whileOpen<R extends { close(): void }, T>(
  open: () => Result<R>,
  use: (resource: R) => Observable<T>,
): Observable<T> {
  return defer(() => {
    const opened = open();
    if (!opened.ok) return throwError(() => new OpenError(opened.reason));
    const resource = opened.value;
    return use(resource).pipe(finalize(() => resource.close()));
  });
}

export interface RemoteLifetime {
  readonly remote: Client;
  /** Emits once, then completes, when the remote's client is gone. */
  readonly gone$: Observable<void>;
}

const same = (a: Client, b: Client): boolean => a.ref === b.ref && a.name === b.name && a.kind === b.kind;

/** Each remote station's client as it appears (those present first), with the moment it goes. */
export function remoteLifetimes(hub: Hub): Observable<RemoteLifetime> {
  return hub.clients$.pipe(
    map((clients) => clients.filter((c) => c.kind === 'remote')),
    scan(
      (seen, remotes) => ({ remotes, added: remotes.filter((r) => !seen.remotes.some((s) => same(s, r))) }),
      { remotes: [] as readonly Client[], added: [] as readonly Client[] },
    ),
    mergeMap(({ added }) => added),
    map((remote) => ({
      remote,
      gone$: hub.clients$.pipe(
        filter((clients) => !clients.some((c) => same(c, remote))),
        take(1),
        map(() => undefined),
      ),
    })),
  );
}

/**
 * Connects client `ref` to every remote station, present and future, while
 * subscribed: what a keyboard bridged with `--midi-in` plays goes to all.
 * Disconnecting one by hand holds until that station comes again.
 */
export function feedEveryRemote(hub: Hub, ref: number): Observable<never> {
  return remoteLifetimes(hub).pipe(
    tap(({ remote }) => hub.connect(ref, remote.ref)),
    ignoreElements(),
  );
}
