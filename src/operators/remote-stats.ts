/**
 * remoteStats(maxLat): what ONE remote's session reports → its statistics
 * (SPEC §4.4), after every report.
 *
 * ```
 * source:  --c--s--s--p--P--o--|     c: clock reference, offset 500
 *                                    s: serial verdicts (the 2nd a duplicate, then one with 2 missing)
 *                                    p: plan, transit 3, 2 events   P: plan, transit 15, late, 1 event
 *                                    o: sent, 1 packet of 4 events
 * output:  --x--x--x--x--x--x--|     the last: { offset 500, transit 15, maxTransit 15, late 1,
 *                                      missing 2, duplicates 1, packetsIn 2, eventsIn 3,
 *                                      packetsOut 1, eventsOut 4, deviation: p in bucket 6, P in 30 }
 * ```
 * The session merges what flows past it: the remote table's clock references
 * and restarts, trackSerials' verdicts, planDelivery's plans, and a
 * `SentPackets` for each group it sent. Nothing is fed back: the statistics
 * are a fold of their own. A continuation packet counts as a packet and its
 * events, but its group's head carried the transit and lateness.
 *
 * The deviation histogram has 40 buckets of maxLat / 20 (0.5 ms at -lat 10,
 * 75 ms at -lat 1500): 0 … 2 × maxLat, the last bucket holding the rest.
 *
 * Scheduler: none (a pure fold, `scan`).
 */
import { scan, type OperatorFunction } from 'rxjs';
import type { DeviationHistogram, RemoteStats, StatsInput } from '../model/pipeline.js';

const BUCKETS = 40;

export function emptyDeviation(maxLatMs: number): DeviationHistogram {
  return { bucketMs: Math.max(maxLatMs, 1) / (BUCKETS / 2), counts: new Array<number>(BUCKETS).fill(0) };
}

export function initialRemoteStats(maxLatMs: number): RemoteStats {
  return {
    offset: NaN,
    transit: 0,
    maxTransit: 0,
    late: 0,
    missing: 0,
    duplicates: 0,
    restarts: 0,
    packetsIn: 0,
    eventsIn: 0,
    packetsOut: 0,
    eventsOut: 0,
    deviation: emptyDeviation(maxLatMs),
  };
}

function counted(histogram: DeviationHistogram, transit: number): DeviationHistogram {
  const bucket = Math.min(histogram.counts.length - 1, Math.max(0, Math.floor(transit / histogram.bucketMs)));
  const counts = histogram.counts.slice();
  counts[bucket] = (counts[bucket] ?? 0) + 1;
  return { bucketMs: histogram.bucketMs, counts };
}

/** One report through the statistics: the pure step behind `remoteStats`. */
export function statsStep(stats: RemoteStats, input: StatsInput): RemoteStats {
  switch (input.kind) {
    case 'clock':
      return { ...stats, offset: input.offset };
    case 'restart':
      return { ...stats, restarts: stats.restarts + 1 };
    case 'serial':
      return {
        ...stats,
        packetsIn: stats.packetsIn + 1,
        duplicates: stats.duplicates + (input.verdict === 'keep' ? 0 : 1),
        missing: stats.missing + input.missing,
      };
    case 'plan': {
      const withEvents = { ...stats, eventsIn: stats.eventsIn + input.events.length };
      if (input.continuation) return withEvents;
      return {
        ...withEvents,
        transit: input.transit,
        maxTransit: Math.max(stats.maxTransit, input.transit),
        late: stats.late + (input.late ? 1 : 0),
        deviation: counted(stats.deviation, input.transit),
      };
    }
    case 'sent':
      return {
        ...stats,
        packetsOut: stats.packetsOut + input.packets,
        eventsOut: stats.eventsOut + input.events,
      };
  }
}

export function remoteStats(maxLatMs: number): OperatorFunction<StatsInput, RemoteStats> {
  return scan(statsStep, initialRemoteStats(maxLatMs));
}
