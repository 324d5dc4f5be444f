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
 * A packet never plays before the previous one's last event (a stream keeps
 * its order), but is pushed back by maxLat at most; a packet dated further
 * ahead of its station's clock than maxLat is planned as if on time (transit
 * −maxLat): neither a lying date nor a wide packet can hold events far away.
 *
 * An event is due at `at + event.date` (its relative date). A continuation
 * whose group head was lost (it comes after a gap) cannot know its group's
 * date and is timed as if it came on time: `at = R + maxLat`.
 *
 * The plan is what the statistics fold counts (transit, late); deliverOnTime
 * turns plans into events at their due times. Scheduler: none (a pure fold, `scan`).
 */
import { map, scan, type OperatorFunction } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { DeliveryPlan, InboundPacket } from '../model/pipeline.js';

/**
 * One packet's plan: the pure step behind `planDelivery`. `previous` is the plan of the packet
 * before (a continuation is timed like it); `played`, of the last packet before that had events
 * (this one plays no earlier than its last event). They differ after a packet with no complete
 * event: the middle of a SysEx longer than a packet.
 */
export function planStep(
  previous: DeliveryPlan | undefined,
  packet: InboundPacket,
  maxLatMs: number,
  played: DeliveryPlan | undefined = previous,
): DeliveryPlan {
  const { arrival, events, releasesNotes } = packet;
  const [firstRel] = relRange(events);
  // Never before the previous packet's last event: a stream plays in the order it was sent,
  // even when a late packet plays at once or the clock offset moves by a fraction of a ms.
  // But by maxLat at most: packets that each span a wide range of relative dates (a
  // hostile or broken sender) must not push every later one further and further away.
  // A packet with no event has nothing to wait for: it keeps its time, for the continuation
  // that completes its SysEx (pushing it would push every packet of a long SysEx once more).
  const notBefore = (at: number) =>
    events.length === 0
      ? at
      : Math.max(at, Math.min(at + maxLatMs, played === undefined ? -Infinity : lastDue(played) - firstRel));
  if (packet.date === 0) {
    const head = packet.afterGap ? undefined : previous;
    return {
      kind: 'plan',
      at: notBefore(head?.at ?? arrival + maxLatMs),
      transit: 0,
      late: head?.late ?? false,
      continuation: true,
      releasesNotes,
      events,
    };
  }
  // A packet cannot come earlier than usual by more than the whole budget: one dated
  // further ahead of its station's clock lies, and is planned as if on time, not held.
  const transit = Math.max(-maxLatMs, arrival - packet.date - packet.offset);
  const late = transit > maxLatMs;
  const at = late ? arrival - firstRel : arrival + (maxLatMs - transit);
  return { kind: 'plan', at: notBefore(at), transit, late, continuation: false, releasesNotes, events };
}

/** The smallest and largest relative date of a packet's events ([0, 0] for none). */
export function relRange(events: readonly MidiEvent[]): [number, number] {
  if (events.length === 0) return [0, 0];
  let low = Infinity;
  let high = -Infinity;
  for (const event of events) {
    low = Math.min(low, event.date ?? 0);
    high = Math.max(high, event.date ?? 0);
  }
  return [low, high];
}

/** When a plan's last event is due. */
function lastDue(plan: DeliveryPlan): number {
  return plan.at + relRange(plan.events)[1];
}

interface Planned {
  plan: DeliveryPlan | undefined;
  /** The last plan with events (see `planStep`). */
  played: DeliveryPlan | undefined;
}

export function planDelivery(maxLatMs: number): OperatorFunction<InboundPacket, DeliveryPlan> {
  return (packets) =>
    packets.pipe(
      scan<InboundPacket, Planned>(
        ({ plan, played }, packet) => {
          const next = planStep(plan, packet, maxLatMs, played);
          return { plan: next, played: next.events.length > 0 ? next : played };
        },
        { plan: undefined, played: undefined },
      ),
      map(({ plan }) => plan as DeliveryPlan),
    );
}
