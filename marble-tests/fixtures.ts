/** Small events for the marble specs: what each test is about is its timing, not its event fields. */
import type { KeyEvent, MidiEvent, NoteEvent } from '../src/model/event.js';

export const keyOn = (pitch: number, extra: Partial<KeyEvent> = {}): KeyEvent => ({
  type: 'keyOn',
  port: 0,
  chan: 0,
  pitch,
  vel: 100,
  ...extra,
});

export const keyOff = (pitch: number, extra: Partial<KeyEvent> = {}): KeyEvent => ({
  type: 'keyOff',
  port: 0,
  chan: 0,
  pitch,
  vel: 0,
  ...extra,
});

export const note = (pitch: number, extra: Partial<NoteEvent> = {}): NoteEvent => ({
  type: 'note',
  port: 0,
  chan: 0,
  pitch,
  vel: 100,
  dur: 500,
  ...extra,
});

/** The same event with another date (relative or local, as the operator under test uses it). */
export const at = <E extends MidiEvent>(event: E, date: number): E => ({ ...event, date });
