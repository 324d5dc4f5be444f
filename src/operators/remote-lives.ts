/**
 * remoteLives(): the remote table's effects → one life per remote, from its
 * open to its close (DESIGN.md: lifetimes are groups).
 *
 * ```
 * effects:      -a-p-b-e-q-x-q-a-p-y-|   a: open A    p: a packet of A's    x: close A
 *                                        b: open B    q: a packet of B's    y: close B
 *                                        e: an echo, no life's
 * lives:        -A---B---------C-----|   A: A's life  B: B's  C: A's next life
 * A.effects$:    --p-------(x|)          each drawn from when its life is
 * B.effects$:        ----q---q-----(y|)  emitted, in the same frames
 * C.effects$:                  --p---|   (C ends with the source)
 * ```
 * Each life carries the remote as it opened (`peer`: its name, address and
 * capabilities) and `effects$`: its packets and observations, then the close,
 * then completion. Effects for a remote with no life (echo, rejected, or a
 * stray close) are not a life's and are left out. When the source completes
 * or errors, so do the lives still open.
 *
 * Like `groupBy`, a life's `effects$` is hot: subscribe to it when the life is
 * emitted (mergeMap does), or its first effects are missed.
 *
 * Scheduler: none (synchronous).
 */
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import type { RemotePeer, TableEffect } from './remote-table.js';

/** What a life's `effects$` carries: the effects that name its remote, except its open. */
export type LifeEffect = Extract<TableEffect, { kind: 'packet' | 'observed' | 'close' }>;

export interface RemoteLife {
  readonly peer: RemotePeer;
  readonly effects$: Observable<LifeEffect>;
}

export function remoteLives(): OperatorFunction<TableEffect, RemoteLife> {
  return (source) =>
    new Observable<RemoteLife>((subscriber) => {
      const lives = new Map<string, Subject<LifeEffect>>();
      const endAll = (end: (life: Subject<LifeEffect>) => void) => {
        const ending = [...lives.values()];
        lives.clear();
        ending.forEach(end);
      };
      const upstream = source.subscribe({
        next: (effect) => {
          switch (effect.kind) {
            case 'open': {
              // An open while a life is open would be a table bug; the old life ends first either way.
              lives.get(effect.key)?.complete();
              const effects = new Subject<LifeEffect>();
              lives.set(effect.key, effects);
              subscriber.next({ peer: effect, effects$: effects.asObservable() });
              return;
            }
            case 'packet':
            case 'observed':
              lives.get(effect.key)?.next(effect);
              return;
            case 'close': {
              const life = lives.get(effect.key);
              if (life === undefined) return;
              lives.delete(effect.key);
              life.next(effect);
              life.complete();
              return;
            }
          }
        },
        error: (error: unknown) => {
          endAll((life) => life.error(error));
          subscriber.error(error);
        },
        complete: () => {
          endAll((life) => life.complete());
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        lives.clear();
      };
    });
}
