/**
 * What a local client receives, written to a MIDI output port (SPEC §8). The
 * hub delivers each event at its date already (the driver times remote
 * events on the precise scheduler, the hub holds dated local ones), so an
 * event is written as it is delivered; a `note` plays its key off `dur` ms
 * later (expandNotes). A write that fails is counted and logged, rate-limited.
 */
import { ignoreElements, map, tap, type Observable, type SchedulerLike } from 'rxjs';
import { eventToMidiBytes } from '../model/midi-bytes.js';
import type { MidiOutputPort } from '../sources/midi-system.js';
import { expandNotes } from './expand-notes.js';
import type { Delivery } from './hub.js';
import type { ProblemCounter } from './rate-limited-log.js';

/**
 * Writes each delivery to `port` until `deliveries$` ends: when it completes,
 * key offs still due are written at once, so no note is left sounding.
 */
export function playIntoMidi(
  deliveries$: Observable<Delivery>,
  port: MidiOutputPort,
  scheduler: SchedulerLike,
  problems: ProblemCounter,
): Observable<never> {
  const kind = `MIDI output ${port.name}`;
  return deliveries$.pipe(
    map((delivery) => delivery.event),
    expandNotes(scheduler),
    tap((event) => {
      for (const message of eventToMidiBytes(event)) {
        const written = port.send(message);
        if (!written.ok) problems(kind, written.reason);
      }
    }),
    ignoreElements(),
  );
}
