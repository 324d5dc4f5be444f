/**
 * scheduleDelivery(maxLat, late): the kept, parsed packets of ONE remote
 * stream → their events at local delivery times (SPEC §4 Latency): constant
 * delay, jitter removed. It is planDelivery then deliverOnTime; use the two
 * apart when the plans should also feed the statistics.
 *
 * ```
 * maxLat = 10 ms, offset 0
 * source:  -------------p----------------q--|     p: dated 13, arrives at 13, events rel 0 and 4
 *                                                 q: dated 15, arrives at 30: 15 ms late
 * output:  -----------------------a---b--c--|     a at 23 = 13 + (10 − 0) + 0, b at 27;
 *                                                 c at once (30): cur 15 > maxLat 10
 * ```
 * Scheduler: `scheduler` (default `asyncScheduler`), through deliverOnTime.
 */
import { asyncScheduler, pipe, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { InboundPacket } from '../model/pipeline.js';
import { deliverOnTime, type LatePolicy } from './deliver-on-time.js';
import { planDelivery } from './plan-delivery.js';

export function scheduleDelivery(
  maxLatMs: number,
  late: LatePolicy = 'play',
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<InboundPacket, MidiEvent> {
  return pipe(planDelivery(maxLatMs), deliverOnTime(late, scheduler));
}
