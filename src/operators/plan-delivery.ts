/**
 * planDelivery(maxLat): the kept, parsed packets of ONE remote stream → when
 * their events reach local clients (SPEC §4 Latency).
 *
 * ```
 * maxLat = 10 ms, offset = 0 (the usual transit is part of the offset)
 * source:  -------------p-------------------q-----c--|
 *   p: dated 13, arrives at 13: cur = (13 − 13) − 0 = 0  ≤ 10
 *   q: dated 20, arrives at 35: cur = (35 − 20) − 0 = 15 > 10: late
 *   c: a continuation (date 0) of q's group
 * output:  -------------x-------------------y-----z--|
 *   x = { at: 23, transit: 0, late: false }     at = R + (maxLat − cur) = P + offset + maxLat
 *   y = { at: 35, transit: 15, late: true }     at = R − (smallest rel date): the first event at once
 *   z = { at: 35, late: true, continuation }    timed like the packet that began its group
 * ```
 * An event is due at `at + event.date` (its relative date). A continuation
 * whose group head was lost (it comes after a gap) cannot know its group's
 * date and is timed as if it came on time: `at = R + maxLat`.
 *
 * The plan is what the statistics fold counts (transit, late); deliverOnTime
 * turns plans into events at their due times. Scheduler: none (a pure fold, `scan`).
 */
import { scan, type OperatorFunction } from 'rxjs';
import type { DeliveryPlan, InboundPacket } from '../model/pipeline.js';

/** One packet's plan: the pure step behind `planDelivery`. `previous` is the plan of the packet before. */
export function planStep(
  previous: DeliveryPlan | undefined,
  packet: InboundPacket,
  maxLatMs: number,
): DeliveryPlan {
  const { arrival, events } = packet;
  if (packet.date === 0) {
    const head = packet.afterGap ? undefined : previous;
    return {
      kind: 'plan',
      at: head?.at ?? arrival + maxLatMs,
      transit: 0,
      late: head?.late ?? false,
      continuation: true,
      events,
    };
  }
  const transit = arrival - packet.date - packet.offset;
  const late = transit > maxLatMs;
  const firstRel = events.length === 0 ? 0 : Math.min(...events.map((e) => e.date ?? 0));
  const at = late ? arrival - firstRel : arrival + (maxLatMs - transit);
  return { kind: 'plan', at, transit, late, continuation: false, events };
}

export function planDelivery(maxLatMs: number): OperatorFunction<InboundPacket, DeliveryPlan> {
  return scan<InboundPacket, DeliveryPlan, undefined>(
    (previous, packet) => planStep(previous, packet, maxLatMs),
    undefined,
  );
}
