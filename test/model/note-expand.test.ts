import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ev } from '../../src/model/constructors.js';
import type { NoteEvent } from '../../src/model/event.js';
import { expandNote, isNoteOff, NOTE_OFF_VELOCITY } from '../../src/model/note-expand.js';
import { arbitraryEventOf } from './arbitraries.js';

describe('expandNote', () => {
  test('a key on at the date and a key off dur ms later, same port, channel and pitch', () => {
    const note = ev.note(60, 100, 500, { date: 1000, chan: 3, port: 7 });
    assert.deepStrictEqual(expandNote(note as NoteEvent & { date: number }), [
      { type: 'keyOn', date: 1000, port: 7, chan: 3, pitch: 60, vel: 100 },
      { type: 'keyOff', date: 1500, port: 7, chan: 3, pitch: 60, vel: 64 },
    ]);
  });

  test('a note without a date plays at the time given', () => {
    const [on, off] = expandNote(ev.note(60, 100, 20), 300);
    assert.equal(on.date, 300);
    assert.equal(off.date, 320);
  });

  test('the date of the note wins over the time given', () => {
    const [on] = expandNote(ev.note(60, 100, 20, { date: 5 }), 300);
    assert.equal(on.date, 5);
  });

  test('for every note: key off at date + dur, release velocity NOTE_OFF_VELOCITY, pitch kept', () => {
    fc.assert(
      fc.property(arbitraryEventOf('note'), fc.nat(), (e, now) => {
        const note = e as NoteEvent;
        const [on, off] = expandNote(note, now);
        const date = note.date ?? now;
        assert.deepStrictEqual(on, {
          type: 'keyOn',
          date,
          port: note.port,
          chan: note.chan,
          pitch: note.pitch,
          vel: note.vel,
        });
        assert.deepStrictEqual(off, { ...on, type: 'keyOff', date: date + note.dur, vel: NOTE_OFF_VELOCITY });
        assert.ok(isNoteOff(off));
      }),
    );
  });
});

describe('isNoteOff', () => {
  test('a key off, or a key on with velocity 0', () => {
    assert.equal(isNoteOff(ev.keyOff(60, 0)), true);
    assert.equal(isNoteOff(ev.keyOff(60, 64)), true);
    assert.equal(isNoteOff(ev.keyOn(60, 0)), true);
    assert.equal(isNoteOff(ev.keyOn(60, 1)), false);
    assert.equal(isNoteOff(ev.keyPress(60, 0)), false);
    assert.equal(isNoteOff(ev.note(60, 0, 10)), false);
  });
});
