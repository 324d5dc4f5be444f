/**
 * transpose(semitones): a user operator, and the model for writing one.
 *
 * ```
 * transpose(12)
 * source:  --a--b--c--d--|     a: keyOn 60   b: ctrlChange 7   c: keyOn 120   d: keyOff 60
 * output:  --A--b-----D--|     A: keyOn 72   b unchanged       c dropped (132 > 127)   D: keyOff 72
 * ```
 * Pitched events (note, keyOn, keyOff, keyPress) move by `semitones`; an
 * event that would leave 0–127 is dropped rather than clamped: clamping would
 * fold several notes onto one pitch and pair a keyOff with the wrong keyOn,
 * while dropping drops a keyOn and its keyOff alike. Other events pass as they are.
 *
 * Scheduler: none (synchronous).
 */
import { filter, map, pipe, type MonoTypeOperatorFunction } from 'rxjs';
import type { KeyEvent, MidiEvent, NoteEvent } from '../model/event.js';

type PitchedEvent = NoteEvent | KeyEvent;

export const isPitched = (event: MidiEvent): event is PitchedEvent =>
  event.type === 'note' || event.type === 'keyOn' || event.type === 'keyOff' || event.type === 'keyPress';

const inMidiRange = (pitch: number) => pitch >= 0 && pitch <= 127;

export function transpose(semitones: number): MonoTypeOperatorFunction<MidiEvent> {
  return pipe(
    map((event) => (isPitched(event) ? { ...event, pitch: event.pitch + semitones } : event)),
    filter((event) => !isPitched(event) || inMidiRange(event.pitch)),
  );
}
