/**
 * The MIDI ports present, watched: the lists now, then whenever they change,
 * read every `everyMs` on `scheduler`. MIDI systems tell no one when a device
 * is plugged in or out (RtMidi has no such event), so the bridge looks.
 *
 * ```
 * everyMs = 10; a keyboard K is plugged at 15, unplugged at 35
 * output:  a-----b-----c          a: [] at 0; b: [K] at 20; c: [] at 40
 * ```
 * Cold: each subscriber polls on its own; share it.
 */
import { distinctUntilChanged, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { MidiPortList, MidiSystem } from './midi-system.js';

export const PORT_POLL_MS = 1000;

const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((name, i) => name === b[i]);

export function watchMidiPorts(
  system: MidiSystem,
  scheduler: SchedulerLike,
  everyMs = PORT_POLL_MS,
): Observable<MidiPortList> {
  return timer(0, everyMs, scheduler).pipe(
    map((): MidiPortList => ({ inputs: [...system.inputs()], outputs: [...system.outputs()] })),
    distinctUntilChanged((a, b) => sameNames(a.inputs, b.inputs) && sameNames(a.outputs, b.outputs)),
  );
}
