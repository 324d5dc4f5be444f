/**
 * Notes as MIDI plays them: a MidiShare `note` carries its duration, MIDI
 * needs a key on and a key off. Pure helpers; the operator that schedules the
 * key off lives with the other operators.
 */
import type { KeyEvent, MidiEvent, NoteEvent } from './event.js';

/**
 * Release velocity of the key off a note makes. A note says nothing about
 * its release, and 64 is what MIDI 1.0 asks of a sender that has no release
 * velocity: a synth that reads release velocity then plays a neutral release,
 * where 0 would make the slowest one. (The original sent a key on with
 * velocity 0 instead; every receiver takes both as the end of the note.)
 */
export const NOTE_OFF_VELOCITY = 64;

/**
 * The key on (at the note's date) and key off (`dur` ms later, velocity
 * NOTE_OFF_VELOCITY) of a note, on its port and channel. A note without a date
 * plays "now": pass the current time as `now` so that the key off has one.
 */
export function expandNote(e: NoteEvent & { date: number }): [KeyEvent, KeyEvent];
export function expandNote(e: NoteEvent, now: number): [KeyEvent, KeyEvent];
export function expandNote(e: NoteEvent, now?: number): [KeyEvent, KeyEvent] {
  const date = e.date ?? now ?? 0;
  const { port, chan, pitch } = e;
  return [
    { type: 'keyOn', date, port, chan, pitch, vel: e.vel },
    { type: 'keyOff', date: date + e.dur, port, chan, pitch, vel: NOTE_OFF_VELOCITY },
  ];
}

/** True for the events that end a note: a key off, or a key on with velocity 0. */
export function isNoteOff(e: MidiEvent): e is KeyEvent {
  return e.type === 'keyOff' || (e.type === 'keyOn' && e.vel === 0);
}
