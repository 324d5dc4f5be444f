import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ev } from '../../src/model/constructors.js';
import type { MidiEvent } from '../../src/model/event.js';
import { describeEvent, formatEventText, parseEventText } from '../../src/model/event-text.js';
import { ALL_EVENT_TYPES, arbitraryEvent, arbitraryEventOf } from './arbitraries.js';

function valueOf(text: string): MidiEvent {
  const result = parseEventText(text);
  if (!result.ok) assert.fail(result.reason);
  return result.value;
}

function reasonOf(text: string): string {
  const result = parseEventText(text);
  assert.equal(result.ok, false, `expected ${text} to be refused`);
  return result.ok ? '' : result.reason;
}

describe('parseEventText', () => {
  test('reads the forms SPEC §2 shows', () => {
    assert.deepStrictEqual(valueOf('keyOn:chan=0:pitch=60:vel=100'), ev.keyOn(60, 100));
    assert.deepStrictEqual(valueOf('note:pitch=60:vel=100:dur=500'), ev.note(60, 100, 500));
    assert.deepStrictEqual(valueOf('sysEx:data=1,2,3'), ev.sysEx([1, 2, 3]));
    assert.deepStrictEqual(valueOf('textual:text=hello'), ev.textual('hello'));
    assert.deepStrictEqual(valueOf('progChange:value=5:port=1'), ev.progChange(5, { port: 1 }));
  });

  test('fields in any order, spaces around names and numbers, hex numbers, a trailing colon', () => {
    assert.deepStrictEqual(
      valueOf(' ctrlChange: value = 0x7f :chan=3: ctrl=7:date=12.5:'),
      ev.ctrlChange(7, 127, { chan: 3, date: 12.5 }),
    );
  });

  test('empty data is an empty array; text keeps its spaces and decodes %XX', () => {
    assert.deepStrictEqual(valueOf('specific:data='), ev.specific([]));
    assert.deepStrictEqual(valueOf('marker:text= a%3Ab %25 100% =x'), ev.marker(' a:b % 100% =x'));
  });

  test('the same messages as Event JSON, naming the field', () => {
    assert.equal(reasonOf('keyOn:pitch=200:vel=1'), 'pitch: expected an integer 0–127, got 200');
    assert.equal(reasonOf('keyOn:pitch=abc:vel=1'), 'pitch: expected an integer 0–127, got "abc"');
    assert.equal(reasonOf('keyOn:pitch=:vel=1'), 'pitch: expected an integer 0–127, got ""');
    assert.equal(reasonOf('sysEx:data=1,x'), 'data[1]: expected an integer 0–127, got "x"');
    assert.equal(reasonOf('keyOn:pitch=60'), 'vel: missing (a keyOn has pitch, vel)');
    assert.equal(
      reasonOf('keyOn:pitch=60:vel=1:dur=5'),
      'dur: unknown field for keyOn (its fields: pitch, vel)',
    );
    assert.equal(reasonOf('noteOn:pitch=60'), 'type: unknown event type "noteOn"');
  });

  test('mistakes of the text form itself', () => {
    assert.equal(reasonOf(''), 'type: missing (write it first, as in keyOn:pitch=60:vel=100)');
    assert.equal(reasonOf(':pitch=60'), 'type: missing (write it first, as in keyOn:pitch=60:vel=100)');
    assert.equal(reasonOf('keyOn:pitch:vel=1'), 'pitch: expected name=value');
    assert.equal(reasonOf('keyOn:pitch=1:pitch=2:vel=1'), 'pitch: given twice');
    assert.equal(
      reasonOf('pitch=60:type=keyOn'),
      'type: missing (write it first, as in keyOn:pitch=60:vel=100)',
    );
    assert.equal(reasonOf('keyOn:type=keyOff'), 'type: write it first, as in keyOn:pitch=60:vel=100');
  });

  for (const type of ALL_EVENT_TYPES) {
    test(`${type}: parseEventText(formatEventText(e)) equals e`, () => {
      fc.assert(
        fc.property(arbitraryEventOf(type), (e) => {
          assert.deepStrictEqual(parseEventText(formatEventText(e)), { ok: true, value: e });
        }),
        { numRuns: 60 },
      );
    });
  }

  test('text with colons, percent signs, newlines and non-ASCII survives the round trip on one line', () => {
    const e = ev.lyric('a:b%41\nc\u0000 é 😀 %');
    const text = formatEventText(e);
    assert.equal(text.includes('\n'), false);
    assert.equal(text.split(':').length, 2);
    assert.deepStrictEqual(valueOf(text), e);
  });
});

describe('formatEventText', () => {
  test('leaves out port and chan when 0 and prints the date when there is one', () => {
    assert.equal(formatEventText(ev.keyOn(60, 100)), 'keyOn:pitch=60:vel=100');
    assert.equal(
      formatEventText(ev.keyOn(60, 100, { date: 7, port: 2, chan: 9 })),
      'keyOn:date=7:port=2:chan=9:pitch=60:vel=100',
    );
    assert.equal(formatEventText(ev.sysEx([1, 2, 3])), 'sysEx:data=1,2,3');
    assert.equal(formatEventText(ev.stop()), 'stop');
  });
});

describe('describeEvent', () => {
  const cases: [MidiEvent, string][] = [
    [ev.keyOn(60, 100, { date: 1234 }), 'keyOn C4 (60) vel 100 (chan 0, port 0, at 1234 ms)'],
    [ev.note(61, 90, 250, { chan: 2, port: 255 }), 'note C#4 (61) vel 90 dur 250 ms (chan 2, port 255)'],
    [ev.keyPress(0, 5), 'keyPress C-1 (0) pressure 5 (chan 0, port 0)'],
    [ev.ctrl14b(7, 1000), 'ctrl14b ctrl 7/39 = 1000 (chan 0, port 0)'],
    [ev.regParam(0, 256), 'regParam RPN 0 = 256 (chan 0, port 0)'],
    [ev.pitchWheel(0), 'pitchWheel 0 (bend -8192) (chan 0, port 0)'],
    [ev.pitchWheel(8192), 'pitchWheel 8192 (bend +0) (chan 0, port 0)'],
    [ev.tempo(500000), 'tempo 500000 µs/quarter (120 bpm) (port 0)'],
    [ev.timeSign(6, 3, 36, 8), 'timeSign 6/8 (36 clocks per click, 8 32nds per quarter) (port 0)'],
    [ev.keySign(-2, 1), 'keySign 2 flats minor (port 0)'],
    [ev.keySign(1, 0), 'keySign 1 sharp major (port 0)'],
    [ev.clock(), 'clock (port 0)'],
    [ev.songPos(16, { chan: 3 }), 'songPos beat 16 (chan 3, port 0)'],
    [ev.sysEx([0x7e, 0x7f, 9, 1]), 'sysEx 4 bytes: 7E 7F 09 01 (port 0)'],
    [ev.stream([]), 'stream 0 bytes (port 0)'],
    [ev.textual('say "hi"'), 'textual "say \\"hi\\"" (port 0)'],
  ];
  for (const [e, line] of cases) {
    test(line, () => assert.equal(describeEvent(e), line));
  }

  test('long payloads are cut so that a line stays short', () => {
    const long = describeEvent(ev.specific(new Array<number>(1000).fill(255)));
    assert.match(long, /^specific 1000 bytes: (FF ){16}…/);
    assert.ok(describeEvent(ev.copyright('x'.repeat(10_000))).length < 100);
  });

  test('one line for every event', () => {
    fc.assert(
      fc.property(arbitraryEvent(), (e) => {
        const line = describeEvent(e);
        assert.ok(line.startsWith(e.type));
        assert.equal(/[\n\r]/.test(line), false);
      }),
    );
  });
});
