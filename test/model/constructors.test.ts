import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ev } from '../../src/model/constructors.js';
import { TYPE_CODES } from '../../src/model/event.js';
import { eventToJson, parseEvent } from '../../src/model/event-json.js';

describe('ev constructors', () => {
  test('make canonical events with defaults', () => {
    assert.deepStrictEqual(ev.keyOn(60, 100), { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 });
    assert.deepStrictEqual(Object.keys(ev.note(60, 100, 500, { date: 3, chan: 1, port: 2 })), [
      'type',
      'date',
      'port',
      'chan',
      'pitch',
      'vel',
      'dur',
    ]);
  });

  test('put each argument in the field the model names', () => {
    assert.deepStrictEqual(ev.keyPress(60, 33), { type: 'keyPress', port: 0, chan: 0, pitch: 60, vel: 33 });
    assert.deepStrictEqual(ev.nonRegParam(300, 99, { chan: 7 }), {
      type: 'nonRegParam',
      port: 0,
      chan: 7,
      ctrl: 300,
      value: 99,
    });
    assert.deepStrictEqual(ev.quarterFrame(3, 5).data, [3, 5]);
    assert.deepStrictEqual(ev.timeSign(4, 2, 24, 8).data, [4, 2, 24, 8]);
    assert.deepStrictEqual(ev.tempo(500_000).value, 500_000);
    assert.deepStrictEqual(ev.continue({ date: 9 }), { type: 'continue', date: 9, port: 0, chan: 0 });
  });

  test('keySign takes a signed key and holds it as the original does (−2 → 254)', () => {
    assert.deepStrictEqual(ev.keySign(-2, 1).data, [254, 1]);
    assert.deepStrictEqual(ev.keySign(3, 0).data, [3, 0]);
    assert.throws(() => ev.keySign(-200, 0), RangeError);
  });

  test('copy the arrays they are given', () => {
    const data = [1, 2, 3];
    const e = ev.sysEx(data);
    data.push(4);
    assert.deepStrictEqual(e.data, [1, 2, 3]);
  });

  test('throw a RangeError naming the type and field for a value out of range', () => {
    assert.throws(() => ev.keyOn(200, 100), {
      name: 'RangeError',
      message: 'keyOn: pitch: expected an integer 0–127, got 200',
    });
    assert.throws(() => ev.sysEx([0xf0]), { message: 'sysEx: data[0]: expected an integer 0–127, got 240' });
    assert.throws(() => ev.clock({ chan: 16 }), { message: 'clock: chan: expected an integer 0–15, got 16' });
  });

  test('there is one for every event type, and what each makes passes parseEvent unchanged', () => {
    const made = [
      ev.note(1, 2, 3),
      ev.keyOn(1, 2),
      ev.keyOff(1, 2),
      ev.keyPress(1, 2),
      ev.ctrlChange(1, 2),
      ev.progChange(1),
      ev.chanPress(1),
      ev.pitchWheel(1),
      ev.songPos(1),
      ev.songSel(1),
      ev.clock(),
      ev.start(),
      ev.continue(),
      ev.stop(),
      ev.tune(),
      ev.activeSens(),
      ev.reset(),
      ev.sysEx([1]),
      ev.stream([0x90, 60, 100]),
      ev.quarterFrame(1, 2),
      ev.ctrl14b(1, 2),
      ev.nonRegParam(1, 2),
      ev.regParam(1, 2),
      ev.seqNum(1),
      ev.textual('a'),
      ev.copyright('a'),
      ev.seqName('a'),
      ev.instrName('a'),
      ev.lyric('a'),
      ev.marker('a'),
      ev.cuePoint('a'),
      ev.chanPrefix(1),
      ev.endTrack(),
      ev.tempo(1),
      ev.smpteOffset([1, 2, 3, 4]),
      ev.timeSign(4, 2, 24, 8),
      ev.keySign(0, 0),
      ev.specific([1]),
    ];
    assert.deepStrictEqual(made.map((e) => e.type).sort(), Object.keys(TYPE_CODES).sort());
    assert.deepStrictEqual(Object.keys(ev).sort(), Object.keys(TYPE_CODES).sort());
    for (const e of made) assert.deepStrictEqual(parseEvent(eventToJson(e)), { ok: true, value: e });
  });
});
