/**
 * remoteStats(): what the other operators report about ONE remote → its
 * statistics (SPEC §4.4), after every report.
 *
 * ```
 * source:  --c--s--s--p--P--o--|     c: clock reference, offset 500
 *                                    s: serial verdicts (the 2nd a duplicate, then one with 2 missing)
 *                                    p: plan, transit 3, 2 events   P: plan, transit 15, late, 1 event
 *                                    o: sent, 1 packet of 4 events
 * output:  --x--x--x--x--x--x--|     the last: { offset 500, transit 15, maxTransit 15, late 1,
 *                                      missing 2, duplicates 1, packetsIn 2, eventsIn 3,
 *                                      packetsOut 1, eventsOut 4 }
 * ```
 * The driver merges the branches it has, per remote: `clockReference`'s
 * output, `trackSerials`' verdicts, `planDelivery`'s plans, and a `SentPackets`
 * for each group it sent; and reads the latest value (e.g. with a
 * `BehaviorSubject` or `shareReplay(1)`). A continuation packet counts as a
 * packet and its events, but its group's head carried the transit and lateness.
 *
 * Scheduler: none (a pure fold, `scan`).
 */
import { scan, type OperatorFunction } from 'rxjs';
import type { RemoteStats, StatsInput } from '../model/pipeline.js';

export const initialRemoteStats: RemoteStats = {
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
};

/** One report through the statistics: the pure step behind `remoteStats`. */
export function statsStep(stats: RemoteStats, input: StatsInput): RemoteStats {
  switch (input.kind) {
    case 'clock':
      return { ...stats, offset: input.offset };
    case 'serial':
      return {
        ...stats,
        packetsIn: stats.packetsIn + 1,
        duplicates: stats.duplicates + (input.verdict === 'keep' ? 0 : 1),
        missing: stats.missing + input.missing,
        restarts: stats.restarts + (input.restarted ? 1 : 0),
      };
    case 'plan': {
      const counted = { ...stats, eventsIn: stats.eventsIn + input.events.length };
      if (input.continuation) return counted;
      return {
        ...counted,
        transit: input.transit,
        maxTransit: Math.max(stats.maxTransit, input.transit),
        late: stats.late + (input.late ? 1 : 0),
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

export function remoteStats(): OperatorFunction<StatsInput, RemoteStats> {
  return scan(statsStep, initialRemoteStats);
}
