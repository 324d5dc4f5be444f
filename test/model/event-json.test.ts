import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_SYSEX_DATA, type MidiEvent } from '../../src/model/event.js';
import { eventToJson, parseEvent } from '../../src/model/event-json.js';
import { ALL_EVENT_TYPES, arbitraryEvent, arbitraryEventOf } from './arbitraries.js';

function reasonOf(json: unknown): string {
  const result = parseEvent(json);
  assert.equal(result.ok, false, `expected ${JSON.stringify(json)} to be refused`);
  return result.ok ? '' : result.reason;
}

function valueOf(json: unknown): MidiEvent {
  const result = parseEvent(json);
  if (!result.ok) assert.fail(result.reason);
  return result.value;
}

describe('parseEvent round trips', () => {
  for (const type of ALL_EVENT_TYPES) {
    test(`${type}: parseEvent(eventToJson(e)) equals e, also through JSON text`, () => {
      fc.assert(
        fc.property(arbitraryEventOf(type), (e) => {
          assert.deepStrictEqual(parseEvent(eventToJson(e)), { ok: true, value: e });
          assert.deepStrictEqual(parseEvent(JSON.parse(JSON.stringify(eventToJson(e)))), {
            ok: true,
            value: e,
          });
        }),
        { numRuns: 60 },
      );
    });
  }

  test('eventToJson prints type, date, port, chan, then the fields in order', () => {
    const json = eventToJson({ vel: 100, pitch: 60, chan: 2, port: 1, date: 5, type: 'keyOn' } as MidiEvent);
    assert.deepStrictEqual(Object.keys(json), ['type', 'date', 'port', 'chan', 'pitch', 'vel']);
    assert.equal(JSON.stringify(json), '{"type":"keyOn","date":5,"port":1,"chan":2,"pitch":60,"vel":100}');
  });

  test('eventToJson leaves out what an operator attached and copies arrays', () => {
    const e = { type: 'sysEx', port: 0, chan: 0, data: [1, 2], extra: 'x' } as MidiEvent;
    const json = eventToJson(e);
    assert.deepStrictEqual(json, { type: 'sysEx', port: 0, chan: 0, data: [1, 2] });
    (json['data'] as number[]).push(3);
    assert.deepStrictEqual((e as { data: number[] }).data, [1, 2]);
  });

  test('parseEvent answers the canonical key order whatever the input order', () => {
    const e = valueOf({ vel: 1, pitch: 2, dur: 3, chan: 4, date: 6, type: 'note' });
    assert.deepStrictEqual(Object.keys(e), ['type', 'date', 'port', 'chan', 'pitch', 'vel', 'dur']);
  });
});

describe('parseEvent defaults', () => {
  test('port and chan default to 0; date stays absent', () => {
    const e = valueOf({ type: 'keyOn', pitch: 60, vel: 100 });
    assert.deepStrictEqual(e, { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 });
    assert.equal(Object.hasOwn(e, 'date'), false);
  });

  test('a field set to undefined counts as absent', () => {
    assert.deepStrictEqual(valueOf({ type: 'clock', date: undefined, port: undefined, extra: undefined }), {
      type: 'clock',
      port: 0,
      chan: 0,
    });
  });

  test('-0 is held as 0', () => {
    assert.ok(Object.is(valueOf({ type: 'progChange', value: -0, date: -0 }).date, 0));
  });
});

describe('parseEvent messages name the field', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', 42, 'event: expected an object, got 42'],
    ['an array', [1], 'event: expected an object, got an array of 1'],
    ['null', null, 'event: expected an object, got null'],
    ['no type', { pitch: 60 }, 'type: missing'],
    ['unknown type', { type: 'noteOn' }, 'type: unknown event type "noteOn"'],
    ['type in the wrong case', { type: 'keyon' }, 'type: unknown event type "keyon" (did you mean "keyOn"?)'],
    ['type not a string', { type: 1 }, 'type: unknown event type 1'],
    ['prototype name as type', { type: 'constructor' }, 'type: unknown event type "constructor"'],
    [
      'unknown field',
      { type: 'keyOn', pitch: 60, velocity: 1 },
      'velocity: unknown field for keyOn (its fields: pitch, vel)',
    ],
    [
      'field of no type',
      { type: 'clock', data: [] },
      'data: unknown field for clock (its fields: none but port, chan, date)',
    ],
    ['missing field', { type: 'note', pitch: 60, vel: 1 }, 'dur: missing (a note has pitch, vel, dur)'],
    ['pitch too high', { type: 'keyOn', pitch: 200, vel: 1 }, 'pitch: expected an integer 0–127, got 200'],
    ['pitch a string', { type: 'keyOn', pitch: '60', vel: 1 }, 'pitch: expected an integer 0–127, got "60"'],
    ['vel fractional', { type: 'keyOff', pitch: 1, vel: 1.5 }, 'vel: expected an integer 0–127, got 1.5'],
    ['vel negative', { type: 'keyPress', pitch: 1, vel: -1 }, 'vel: expected an integer 0–127, got -1'],
    [
      'dur too long',
      { type: 'note', pitch: 1, vel: 1, dur: 32768 },
      'dur: expected an integer 0–32767, got 32768',
    ],
    ['chan 16', { type: 'keyOn', chan: 16, pitch: 1, vel: 1 }, 'chan: expected an integer 0–15, got 16'],
    ['port 256', { type: 'clock', port: 256 }, 'port: expected an integer 0–255, got 256'],
    ['port null', { type: 'clock', port: null }, 'port: expected an integer 0–255, got null'],
    ['date negative', { type: 'clock', date: -1 }, 'date: expected a finite number ≥ 0 (ms), got -1'],
    [
      'date infinite',
      { type: 'clock', date: Infinity },
      'date: expected a finite number ≥ 0 (ms), got Infinity',
    ],
    ['date NaN', { type: 'clock', date: NaN }, 'date: expected a finite number ≥ 0 (ms), got NaN'],
    [
      'ctrlChange ctrl',
      { type: 'ctrlChange', ctrl: 128, value: 0 },
      'ctrl: expected an integer 0–127, got 128',
    ],
    [
      'ctrlChange value',
      { type: 'ctrlChange', ctrl: 7, value: 128 },
      'value: expected an integer 0–127, got 128',
    ],
    [
      'ctrl14b ctrl',
      { type: 'ctrl14b', ctrl: 16384, value: 0 },
      'ctrl: expected an integer 0–16383, got 16384',
    ],
    [
      'ctrl14b value',
      { type: 'ctrl14b', ctrl: 1, value: 16384 },
      'value: expected an integer 0–16383, got 16384',
    ],
    [
      'NRPN number',
      { type: 'nonRegParam', ctrl: 16384, value: 0 },
      'ctrl: expected an integer 0–16383, got 16384',
    ],
    [
      'RPN value',
      { type: 'regParam', ctrl: 0, value: 16384 },
      'value: expected an integer 0–16383, got 16384',
    ],
    ['progChange', { type: 'progChange', value: 128 }, 'value: expected an integer 0–127, got 128'],
    ['chanPress', { type: 'chanPress', value: 128 }, 'value: expected an integer 0–127, got 128'],
    ['songSel', { type: 'songSel', value: 128 }, 'value: expected an integer 0–127, got 128'],
    ['pitchWheel', { type: 'pitchWheel', value: 16384 }, 'value: expected an integer 0–16383, got 16384'],
    ['songPos', { type: 'songPos', value: -1 }, 'value: expected an integer 0–16383, got -1'],
    ['seqNum', { type: 'seqNum', value: 65536 }, 'value: expected an integer 0–65535, got 65536'],
    ['chanPrefix', { type: 'chanPrefix', value: 16 }, 'value: expected an integer 0–15, got 16'],
    ['tempo', { type: 'tempo', value: 2 ** 32 }, 'value: expected an integer 0–4294967295, got 4294967296'],
    ['sysEx byte', { type: 'sysEx', data: [1, 128] }, 'data[1]: expected an integer 0–127, got 128'],
    [
      'sysEx not an array',
      { type: 'sysEx', data: 'F0' },
      'data: expected an array of integers 0–127, got "F0"',
    ],
    ['stream byte', { type: 'stream', data: [256] }, 'data[0]: expected an integer 0–255, got 256'],
    [
      'sparse data',
      // A hole is what a program, not JSON, can hand over: it must be refused like any non-byte.
      // eslint-disable-next-line no-sparse-arrays
      { type: 'specific', data: [1, , 3] },
      'data[1]: expected an integer 0–255, got undefined',
    ],
    ['quarterFrame piece', { type: 'quarterFrame', data: [8, 0] }, 'data[0]: expected an integer 0–7, got 8'],
    [
      'quarterFrame value',
      { type: 'quarterFrame', data: [7, 16] },
      'data[1]: expected an integer 0–15, got 16',
    ],
    [
      'quarterFrame length',
      { type: 'quarterFrame', data: [1] },
      'data: a quarterFrame has exactly 2 bytes, got 1',
    ],
    [
      'timeSign length',
      { type: 'timeSign', data: [4, 2, 24] },
      'data: a timeSign has exactly 4 bytes, got 3',
    ],
    [
      'smpteOffset length',
      { type: 'smpteOffset', data: [] },
      'data: a smpteOffset has exactly 4 bytes, got 0',
    ],
    ['keySign byte', { type: 'keySign', data: [-2, 0] }, 'data[0]: expected an integer 0–255, got -2'],
    ['text not a string', { type: 'lyric', text: 5 }, 'text: expected a string, got 5'],
    [
      'text with half a surrogate pair',
      { type: 'lyric', text: 'a\ud83d' },
      'text: not well-formed Unicode (lone surrogate U+D83D at 1)',
    ],
    [
      'long string shown short',
      { type: 'keyOn', pitch: 'x'.repeat(50), vel: 1 },
      `pitch: expected an integer 0–127, got "${'x'.repeat(40)}…"`,
    ],
  ];
  for (const [what, json, reason] of cases) {
    test(what, () => assert.equal(reasonOf(json), reason));
  }

  test('a SysEx of MAX_SYSEX_DATA bytes passes; one more is refused with the limit in the message', () => {
    const data = new Array<number>(MAX_SYSEX_DATA).fill(0x7f);
    assert.equal((valueOf({ type: 'sysEx', data }) as { data: number[] }).data.length, MAX_SYSEX_DATA);
    assert.equal(
      reasonOf({ type: 'sysEx', data: [...data, 1] }),
      `data: a sysEx carries at most ${MAX_SYSEX_DATA} bytes, got ${MAX_SYSEX_DATA + 1}`,
    );
  });

  test('text is bounded by its UTF-8 size, not its length in characters', () => {
    const fits = 'a'.repeat(MAX_SYSEX_DATA);
    assert.equal(parseEvent({ type: 'textual', text: fits }).ok, true);
    // 'é' is 2 bytes of UTF-8: half as many characters already fill an event.
    const wide = 'é'.repeat(MAX_SYSEX_DATA / 2 + 1);
    assert.equal(
      reasonOf({ type: 'textual', text: wide }),
      `text: a textual carries at most ${MAX_SYSEX_DATA} bytes of UTF-8, got ${MAX_SYSEX_DATA + 2}`,
    );
  });

  test('unknown fields are named before missing ones, so a misspelling is shown as such', () => {
    assert.match(reasonOf({ type: 'keyOn', pitch: 60, velocity: 100 }), /^velocity: unknown field/);
  });

  test('fuzzed values: refused with a reason that names a field, or an event that is its own canonical form', () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...ALL_EVENT_TYPES), (value, type) => {
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (!isObject) assert.match(reasonOf(value), /^event: expected an object, got /);
        // A field no event type has is refused by its name, whatever it holds.
        assert.match(reasonOf({ type, zzNoSuchField: value }), /^zzNoSuchField: unknown field for /);
        const candidate: Record<string, unknown> = { type, ...(isObject ? value : {}) };
        const result = parseEvent(candidate);
        if (result.ok) {
          seen.accepted += 1;
          assert.deepStrictEqual(parseEvent(eventToJson(result.value)), result, 'accepted means canonical');
        } else {
          seen.refused += 1;
          // The reason begins with the field it is about: one the candidate has, or one it lacks.
          const field = result.reason.slice(0, result.reason.indexOf(': ')).replace(/\[\d+\]$/, '');
          assert.ok(
            Object.hasOwn(candidate, field) || result.reason.startsWith(`${field}: missing`),
            `${result.reason} (for ${JSON.stringify(candidate)})`,
          );
        }
      }),
      { numRuns: 1000, seed: 42 },
    );
    // Both ways are taken: random fields are mostly wrong, and a type with no fields of its own takes {}.
    assert.ok(seen.refused > 500 && seen.accepted > 0, JSON.stringify(seen));
  });

  test('a valid event with one number field made anything but a number in its range is refused by that field', () => {
    const notInRange = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.object({ maxDepth: 1 }),
      fc.constantFrom(-1, 0.5, 70_000, 1e300, -1e300),
    );
    fc.assert(
      fc.property(arbitraryEvent(), notInRange, fc.nat(), (event, wrong, pick) => {
        const json = eventToJson(event);
        const numbers = Object.keys(json).filter(
          (name) => name !== 'date' && name !== 'type' && typeof json[name] === 'number',
        );
        const field = numbers[pick % numbers.length]; // port and chan at least
        assert.ok(field !== undefined);
        assert.ok(parseEvent(json).ok, 'the event itself is valid');
        assert.match(reasonOf({ ...json, [field]: wrong }), new RegExp(`^${field}: `));
      }),
      { numRuns: 1000, seed: 43 },
    );
  });
});
