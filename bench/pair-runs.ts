/**
 * The procedures a pair benchmark runs on any Pair (bench/lan-pair.ts), LAN
 * or WAN: wait until the stations know each other, then send events one at a
 * time at random gaps and collect their stamps. Ids come from a pool, so that
 * a straggler of an earlier run is never taken for one of the next.
 */
import { PROBE_BASE } from './lan-events.js';
import { benchClock, sleep, type Pair, type PairStamps } from './lan-pair.js';

/** Sends probes until one arrives: both stations are up and know each other. */
export async function untilReady(pair: Pair, timeoutMs: number): Promise<void> {
  const deadline = benchClock() + timeoutMs;
  for (let probe = PROBE_BASE; ; probe++) {
    pair.send(probe);
    if (await pair.probeArrived(100)) return;
    if (benchClock() > deadline) throw new Error(`no probe arrived in ${timeoutMs} ms`);
  }
}

/** Fresh ids for each run, below the probes; wraps around when they run out. */
export class IdPool {
  private next = 0;

  take(count: number): number {
    if (this.next + count >= PROBE_BASE) this.next = 0;
    const first = this.next;
    this.next += count;
    return first;
  }
}

export interface LatencyPlan {
  /** Gaps between events are drawn uniformly from [minGapMs, maxGapMs). */
  minGapMs: number;
  maxGapMs: number;
  /** After the last event, how long stragglers may take (include the constant delay). */
  tailMs: number;
}

/** `count` events one at a time at random gaps (so they fall at every phase of a grouping period); their stamps. */
export async function eventsAtRandomGaps(
  pair: Pair,
  ids: IdPool,
  count: number,
  plan: LatencyPlan,
): Promise<PairStamps> {
  const first = ids.take(count);
  for (let id = first; id < first + count; id++) {
    pair.send(id);
    await sleep(plan.minGapMs + Math.random() * (plan.maxGapMs - plan.minGapMs));
  }
  return pair.collect(count, plan.tailMs);
}
