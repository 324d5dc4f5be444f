/**
 * Warming the paths every event takes (issue: the first notes on time). A
 * driver that has just woken runs its per-event code for the first time just
 * when the first notes come: interpreted, not yet optimized by V8, and that
 * first pass costs tens to hundreds of µs per step (bench/cold-path.ts). So at
 * each wake the driver runs synthetic events through the same pure code —
 * grouping dates, packetizing, encoding, decoding, parsing, planning, Event
 * JSON both ways — before any real one comes. It touches no socket and no
 * state, but it holds the event loop for 30–60 ms: it runs before the station
 * binds its sockets, since a datagram that waited in a socket meanwhile would
 * be stamped late when read, and the first HostIDs of a peer stamped that
 * late kept our clock reference of it from locking until its notes had come
 * (bench/first-notes.ts --library: first notes held 35–60 ms in 3 runs of 6).
 * `MSINET_NO_WARMUP=1` turns it off, to measure what it buys.
 */
import { defer, type Observable } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import { eventToJson, parseEvent } from '../model/event-json.js';
import { dueEvents } from '../operators/deliver-on-time.js';
import { relativeDate } from '../operators/group-events.js';
import { planStep } from '../operators/plan-delivery.js';
import { decodePacket, encodePacket } from '../wire/codec.js';
import { fineMaxEventBytes } from '../wire/fine-dates.js';
import { LAN_MAX_EVENT_BYTES, type MidiPacket } from '../wire/packet.js';
import { packetize } from '../wire/packetizer.js';
import { feedPacket, initialStreamParser } from '../wire/stream-parser.js';

/** Rounds enough for V8 to compile each step past its interpreter (about 1,000 calls of the per-event ones), in a few ms. */
const ROUNDS = 200;

const EVENTS: readonly MidiEvent[] = [
  { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 },
  { type: 'keyOff', port: 0, chan: 0, pitch: 60, vel: 0 },
  { type: 'ctrlChange', port: 0, chan: 1, ctrl: 7, value: 90 },
  { type: 'pitchWheel', port: 0, chan: 2, value: 8192 },
  { type: 'note', port: 0, chan: 3, pitch: 64, vel: 80, dur: 250 },
];

/** `station$`, subscribed (its sockets bound) once `warm` has run: at each subscription, i.e. each wake. */
export function afterWarmUp<T>(station$: Observable<T>, warm: () => unknown = warmPaths): Observable<T> {
  return defer(() => {
    warm();
    return station$;
  });
}

export function warmPaths(env: NodeJS.ProcessEnv = process.env): number {
  if (env['MSINET_NO_WARMUP'] === '1') return 0;
  let work = 0;
  let plan;
  for (let round = 0; round < ROUNDS; round++) {
    const date = 1000 + round * 10.37;
    const events = EVENTS.map((event, i) => ({ ...event, date: relativeDate(date - 9 + i, date, 10) }));
    for (const fine of [true, false]) {
      const maxEventBytes = fine ? fineMaxEventBytes(LAN_MAX_EVENT_BYTES) : LAN_MAX_EVENT_BYTES;
      for (const packet of packetize(events, { firstSerial: round + 1, date, maxEventBytes, fine })) {
        const decoded = decodePacket(encodePacket(packet));
        if (!decoded.ok) continue;
        const parsed = feedPacket(initialStreamParser(), decoded.value as MidiPacket, false);
        const inbound = {
          date,
          arrival: date + 0.2,
          offset: 0.2,
          afterGap: false,
          releasesNotes: false,
          events: parsed.events,
        };
        plan = planStep(plan, inbound, 10);
        for (const event of dueEvents(plan)) work += parseEvent(eventToJson(event)).ok ? 1 : 0;
      }
    }
  }
  return work;
}
