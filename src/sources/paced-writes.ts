/**
 * Writes to a TCP link one packet at a time, at least `paceMs` apart: what an
 * original msInetDriver needs on its WAN link (docs/protocol.md, WAN). Its
 * receiver takes each recv() as one packet: two packets that arrive together
 * are read together, and the second is lost. msinet writes one packet per
 * write with TCP_NODELAY, but a burst (a SysEx of several packets) still lands
 * in the peer's buffer before its thread reads. Spaced out, each packet is
 * read alone unless the peer's reader falls `paceMs` behind.
 *
 * ```
 * send:    -abc-------d
 * written: -a-b-c-----d   (paceMs = 2 frames of 1 ms)
 * ```
 * A packet goes at once when the last one left `paceMs` ago or more; later
 * ones wait in a queue bounded by `maxQueueBytes` (a full queue refuses the
 * packet: `send` answers false). `flush` writes what waits at once (before a
 * TCPBye: the link ends anyway); `stop` drops it.
 *
 * Scheduler: `scheduler` (the driver's; TestScheduler in tests).
 */
import type { SchedulerLike, Subscription } from 'rxjs';

export interface PacedWrites {
  /** Writes `bytes` now or in turn; false when it is refused (queue full, or the write refused it). */
  send(bytes: Uint8Array): boolean;
  /** Writes every waiting packet at once. */
  flush(): void;
  /** Drops every waiting packet and stops. */
  stop(): void;
}

export interface PacedWritesOptions {
  /** The link's own write (one packet); false when it refuses it. */
  write(bytes: Uint8Array): boolean;
  paceMs: number;
  maxQueueBytes: number;
  scheduler: SchedulerLike;
  /** A waiting packet the write refused when its turn came. */
  lost(bytes: Uint8Array): void;
}

export function pacedWrites(options: PacedWritesOptions): PacedWrites {
  const { write, paceMs, maxQueueBytes, scheduler, lost } = options;
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let lastAt = -Infinity;
  let turn: Subscription | undefined;

  const writeNow = (bytes: Uint8Array): boolean => {
    lastAt = scheduler.now();
    return write(bytes);
  };
  const next = () => {
    turn = undefined;
    const bytes = queue.shift();
    if (bytes === undefined) return;
    queuedBytes -= bytes.length;
    if (!writeNow(bytes)) lost(bytes);
    if (queue.length > 0) turn = scheduler.schedule(next, paceMs);
  };

  return {
    send: (bytes) => {
      const wait = lastAt + paceMs - scheduler.now();
      if (turn === undefined && wait <= 0) return writeNow(bytes);
      if (queuedBytes + bytes.length > maxQueueBytes) return false;
      queue.push(bytes);
      queuedBytes += bytes.length;
      turn ??= scheduler.schedule(next, wait);
      return true;
    },
    flush: () => {
      turn?.unsubscribe();
      turn = undefined;
      for (const bytes of queue.splice(0)) if (!writeNow(bytes)) lost(bytes);
      queuedBytes = 0;
    },
    stop: () => {
      turn?.unsubscribe();
      turn = undefined;
      queue.length = 0;
      queuedBytes = 0;
    },
  };
}
