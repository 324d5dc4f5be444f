import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ev } from '../../src/model/constructors.js';
import { MAX_SYSEX_DATA, type EventType, type MidiEvent } from '../../src/model/event.js';
import {
  eventToMidiBytes,
  initialMidiParser,
  parseMidiChunk,
  type MidiParserState,
} from '../../src/model/midi-bytes.js';
import { arbitraryEvent } from './arbitraries.js';

const PORT = 3;
const DATE = 1234;

/** Folds the chunks through the parser; answers every event, every drop, and the last state. */
function parseChunks(chunks: readonly Uint8Array[], opts: { port: number; date?: number } = { port: PORT }) {
  let state = initialMidiParser();
  const events: MidiEvent[] = [];
  const dropped: string[] = [];
  for (const chunk of chunks) {
    const result = parseMidiChunk(state, chunk, opts);
    state = result.state;
    events.push(...result.events);
    dropped.push(...result.dropped);
  }
  return { events, dropped, state };
}

const bytesOf = (...messages: (readonly number[])[]) => Uint8Array.from(messages.flat());
const flat = (messages: readonly Uint8Array[]) => messages.flatMap((m) => [...m]);
const parseBytes = (...bytes: number[]) => parseChunks([Uint8Array.from(bytes)]);

/** Types whose events carry no channel in MIDI: the parser gives them chan 0. */
const SYSTEM_TYPES = new Set<EventType>([
  'songPos',
  'songSel',
  'clock',
  'start',
  'continue',
  'stop',
  'tune',
  'activeSens',
  'reset',
  'sysEx',
  'quarterFrame',
]);
/** One MIDI message each, read back as the same event. */
const ONE_MESSAGE_TYPES: EventType[] = [
  'keyOn',
  'keyOff',
  'keyPress',
  'ctrlChange',
  'progChange',
  'chanPress',
  'pitchWheel',
  ...SYSTEM_TYPES,
];
/** Several control changes each. */
const CONTROLLER_TYPES: EventType[] = ['ctrl14b', 'nonRegParam', 'regParam'];
const META_TYPES: EventType[] = [
  'seqNum',
  'textual',
  'copyright',
  'seqName',
  'instrName',
  'lyric',
  'marker',
  'cuePoint',
  'chanPrefix',
  'endTrack',
  'tempo',
  'smpteOffset',
  'timeSign',
  'keySign',
  'specific',
];

/** The event the parser makes of e's MIDI message, on `port`, at `date`. */
function asParsed(e: MidiEvent, port: number, date: number | undefined): MidiEvent {
  const { type, date: _date, port: _port, chan, ...fields } = e;
  const base = date === undefined ? { port } : { date, port };
  return { type, ...base, chan: SYSTEM_TYPES.has(e.type) ? 0 : chan, ...fields } as MidiEvent;
}

/** What the parser makes of one message of e (independent of the parser: built from the bytes or the event). */
function expectedOfMessage(
  e: MidiEvent,
  message: Uint8Array,
  port: number,
  date: number | undefined,
): MidiEvent {
  const base = date === undefined ? { port } : { date, port };
  if (CONTROLLER_TYPES.includes(e.type)) {
    return {
      type: 'ctrlChange',
      ...base,
      chan: (message[0] ?? 0) & 15,
      ctrl: message[1] ?? 0,
      value: message[2] ?? 0,
    };
  }
  if (e.type === 'note') return { type: 'keyOn', ...base, chan: e.chan, pitch: e.pitch, vel: e.vel };
  return asParsed(e, port, date);
}

describe('eventToMidiBytes', () => {
  const cases: [string, MidiEvent, number[][]][] = [
    ['keyOn', ev.keyOn(60, 100, { chan: 1 }), [[0x91, 60, 100]]],
    ['keyOn velocity 0 stays a note on', ev.keyOn(60, 0), [[0x90, 60, 0]]],
    ['keyOff', ev.keyOff(62, 0, { chan: 15 }), [[0x8f, 62, 0]]],
    ['keyPress', ev.keyPress(64, 33, { chan: 2 }), [[0xa2, 64, 33]]],
    ['ctrlChange', ev.ctrlChange(7, 99, { chan: 2 }), [[0xb2, 7, 99]]],
    ['progChange', ev.progChange(5, { chan: 3 }), [[0xc3, 5]]],
    ['chanPress', ev.chanPress(77, { chan: 4 }), [[0xd4, 77]]],
    ['pitchWheel LSB then MSB', ev.pitchWheel(8192 + 5, { chan: 5 }), [[0xe5, 5, 64]]],
    ['songPos LSB then MSB', ev.songPos(1 + 2 * 128), [[0xf2, 1, 2]]],
    ['songSel', ev.songSel(3), [[0xf3, 3]]],
    ['quarterFrame piece and value in one byte', ev.quarterFrame(3, 5), [[0xf1, 0x35]]],
    ['tune', ev.tune(), [[0xf6]]],
    ['clock', ev.clock(), [[0xf8]]],
    ['start', ev.start(), [[0xfa]]],
    ['continue', ev.continue(), [[0xfb]]],
    ['stop', ev.stop(), [[0xfc]]],
    ['activeSens', ev.activeSens(), [[0xfe]]],
    ['reset', ev.reset(), [[0xff]]],
    ['sysEx inside F0 … F7', ev.sysEx([1, 2, 3, 4, 5]), [[0xf0, 1, 2, 3, 4, 5, 0xf7]]],
    ['empty sysEx', ev.sysEx([]), [[0xf0, 0xf7]]],
    ['stream as it is', ev.stream([0x90, 60, 100, 0xf8]), [[0x90, 60, 100, 0xf8]]],
    ['empty stream: nothing', ev.stream([]), []],
    // MidiShare's Ctrl14b: field 0 is the controller number (0–31), CC n carries the MSB, CC n+32 the LSB.
    [
      'ctrl14b: CC n with the MSB, CC n+32 with the LSB',
      ev.ctrl14b(7, 1000, { chan: 6 }),
      [
        [0xb6, 7, 7],
        [0xb6, 39, 104],
      ],
    ],
    [
      'nonRegParam: CC 99/98 number, CC 6/38 value',
      ev.nonRegParam(300, 99, { chan: 7 }),
      [
        [0xb7, 99, 2],
        [0xb7, 98, 44],
        [0xb7, 6, 0],
        [0xb7, 38, 99],
      ],
    ],
    [
      'regParam: CC 101/100 number, CC 6/38 value',
      ev.regParam(500, 6, { chan: 8 }),
      [
        [0xb8, 101, 3],
        [0xb8, 100, 116],
        [0xb8, 6, 0],
        [0xb8, 38, 6],
      ],
    ],
    ['note: its key on (the key off is expandNote’s)', ev.note(60, 100, 500, { chan: 9 }), [[0x99, 60, 100]]],
  ];
  for (const [what, e, expected] of cases) {
    test(what, () =>
      assert.deepStrictEqual(
        eventToMidiBytes(e).map((m) => [...m]),
        expected,
      ),
    );
  }

  test('types with no MIDI 1.0 message give nothing', () => {
    fc.assert(fc.property(arbitraryEvent(META_TYPES), (e) => eventToMidiBytes(e).length === 0));
  });

  test('bytes are well-formed MIDI even from an event out of range', () => {
    const wild = { type: 'keyOn', port: 0, chan: 17, pitch: 200, vel: 300 } as MidiEvent;
    assert.deepStrictEqual([...flat(eventToMidiBytes(wild))], [0x91, 200 & 0x7f, 300 & 0x7f]);
    const sysEx = { type: 'sysEx', port: 0, chan: 0, data: [0xf7, 0x80] } as MidiEvent;
    assert.deepStrictEqual(flat(eventToMidiBytes(sysEx)), [0xf0, 0x77, 0x00, 0xf7]);
  });
});

describe('parseMidiChunk', () => {
  test('stamps events with the port and date given, and leaves the date out when none is given', () => {
    assert.deepStrictEqual(parseChunks([bytesOf([0x90, 60, 100])], { port: 9, date: 55 }).events, [
      { type: 'keyOn', date: 55, port: 9, chan: 0, pitch: 60, vel: 100 },
    ]);
    assert.deepStrictEqual(parseChunks([bytesOf([0xf8])], { port: 9 }).events, [
      { type: 'clock', port: 9, chan: 0 },
    ]);
  });

  test('running status: data bytes repeat the last channel status', () => {
    const { events } = parseBytes(0x93, 60, 100, 62, 90, 60, 0);
    assert.deepStrictEqual(events, [
      ev.keyOn(60, 100, { chan: 3, port: PORT }),
      ev.keyOn(62, 90, { chan: 3, port: PORT }),
      ev.keyOn(60, 0, { chan: 3, port: PORT }),
    ]);
  });

  test('note on with velocity 0 stays a keyOn with vel 0, as the original keeps it', () => {
    assert.deepStrictEqual(parseBytes(0x90, 60, 0).events, [ev.keyOn(60, 0, { port: PORT })]);
  });

  test('running status survives realtime bytes and is cancelled by system common ones', () => {
    const { events, dropped } = parseBytes(0xc1, 5, 0xf8, 6, 0xf3, 2, 7);
    assert.deepStrictEqual(events, [
      ev.progChange(5, { chan: 1, port: PORT }),
      ev.clock({ port: PORT }),
      ev.progChange(6, { chan: 1, port: PORT }),
      ev.songSel(2, { port: PORT }),
    ]);
    assert.deepStrictEqual(dropped, ['1 data byte without a status byte ignored']);
  });

  test('a realtime byte between a status and its data comes out first, the message after', () => {
    const { events } = parseBytes(0xb0, 0xfa, 7, 0xfc, 99);
    assert.deepStrictEqual(events, [
      ev.start({ port: PORT }),
      ev.stop({ port: PORT }),
      ev.ctrlChange(7, 99, { port: PORT }),
    ]);
  });

  test('a SysEx split over chunks with realtime bytes inside comes out whole, the realtime at once', () => {
    const { events, state } = parseChunks([
      bytesOf([0xf0, 1, 2]),
      bytesOf([3, 0xf8, 4]),
      bytesOf([5, 0xf7, 0xfe]),
    ]);
    assert.deepStrictEqual(events, [
      ev.clock({ port: PORT }),
      ev.sysEx([1, 2, 3, 4, 5], { port: PORT }),
      ev.activeSens({ port: PORT }),
    ]);
    assert.deepStrictEqual(state, initialMidiParser());
  });

  test('a SysEx cut short by a status byte is dropped and reported; the status byte is read', () => {
    const { events, dropped } = parseBytes(0xf0, 1, 2, 0x90, 60, 100);
    assert.deepStrictEqual(events, [ev.keyOn(60, 100, { port: PORT })]);
    assert.deepStrictEqual(dropped, ['SysEx of 2 data bytes dropped: cut short by status 90']);
  });

  test('a SysEx of MAX_SYSEX_DATA bytes passes whole', () => {
    const data = Array.from({ length: MAX_SYSEX_DATA }, (_, i) => i % 128);
    const chunks = [bytesOf([0xf0], data.slice(0, 1000)), bytesOf(data.slice(1000)), bytesOf([0xf7])];
    assert.deepStrictEqual(parseChunks(chunks).events, [ev.sysEx(data, { port: PORT })]);
  });

  test('a longer SysEx is dropped and reported, and the state stops growing', () => {
    const kilobyte = new Uint8Array(1024).fill(0x55);
    let state = parseMidiChunk(initialMidiParser(), bytesOf([0xf0]), { port: 0 }).state;
    for (let i = 0; i < 100; i++) state = parseMidiChunk(state, kilobyte, { port: 0 }).state;
    assert.equal(state.sysEx?.length, 100 * 1024);
    assert.equal(state.sysEx?.segments, undefined, 'an oversize SysEx keeps no bytes');
    const end = parseMidiChunk(state, bytesOf([0xf7, 0x90, 1, 2]), { port: 0 });
    assert.deepStrictEqual(end.dropped, [
      `SysEx of ${100 * 1024} data bytes dropped: longer than ${MAX_SYSEX_DATA}`,
    ]);
    assert.deepStrictEqual(end.events, [ev.keyOn(1, 2)]);
  });

  test('MTC quarter frame, song position, song select, tune request', () => {
    const { events } = parseBytes(0xf1, 0x35, 0xf2, 1, 2, 0xf3, 9, 0xf6);
    assert.deepStrictEqual(events, [
      ev.quarterFrame(3, 5, { port: PORT }),
      ev.songPos(257, { port: PORT }),
      ev.songSel(9, { port: PORT }),
      ev.tune({ port: PORT }),
    ]);
  });

  test('undefined statuses and a lone F7 are ignored; F9 and FD silently, being realtime', () => {
    const { events, dropped } = parseBytes(0xf4, 1, 0xf5, 2, 0xf7, 0xf9, 0xfd, 0x80, 1, 2);
    assert.deepStrictEqual(events, [ev.keyOff(1, 2, { port: PORT })]);
    assert.deepStrictEqual(dropped, [
      'undefined status F4 ignored',
      'undefined status F5 ignored',
      'F7 (end of SysEx) without a SysEx ignored',
      '2 data bytes without a status byte ignored',
    ]);
  });

  test('a status byte with too few data bytes gives way to the next status', () => {
    assert.deepStrictEqual(parseBytes(0x90, 60, 0xc0, 5).events, [ev.progChange(5, { port: PORT })]);
  });

  test('is pure: the same state and chunk give the same result, and the old state is untouched', () => {
    const middle = parseMidiChunk(initialMidiParser(), bytesOf([0xf0, 1, 2]), { port: 0 }).state;
    const copy: MidiParserState = structuredClone(middle);
    const first = parseMidiChunk(middle, bytesOf([3, 0xf7]), { port: 0 });
    const second = parseMidiChunk(middle, bytesOf([4, 0xf7]), { port: 0 });
    assert.deepStrictEqual(first.events, [ev.sysEx([1, 2, 3])]);
    assert.deepStrictEqual(second.events, [ev.sysEx([1, 2, 4])]);
    assert.deepStrictEqual(middle, copy);
  });
});

describe('MIDI bytes round trips', () => {
  test('one-message types: the bytes of an event read back as the event', () => {
    fc.assert(
      fc.property(arbitraryEvent(ONE_MESSAGE_TYPES), fc.option(fc.nat(), { nil: undefined }), (e, date) => {
        const opts = date === undefined ? { port: PORT } : { port: PORT, date };
        const { events, dropped } = parseChunks(eventToMidiBytes(e), opts);
        assert.deepStrictEqual(events, [asParsed(e, PORT, date)]);
        assert.deepStrictEqual(dropped, []);
      }),
      { numRuns: 500 },
    );
  });

  test('controller types: their control changes read back and write the same bytes again', () => {
    fc.assert(
      fc.property(arbitraryEvent(CONTROLLER_TYPES), (e) => {
        const bytes = eventToMidiBytes(e);
        const { events } = parseChunks(bytes);
        assert.ok(events.every((c) => c.type === 'ctrlChange' && c.chan === e.chan));
        assert.deepStrictEqual(flat(events.flatMap(eventToMidiBytes)), flat(bytes));
      }),
      { numRuns: 200 },
    );
  });

  const REALTIME_BYTES = [0xf8, 0xfa, 0xfb, 0xfc, 0xfe, 0xff];
  const REALTIME_EVENTS: Record<number, MidiEvent> = {
    0xf8: ev.clock({ port: PORT, date: DATE }),
    0xfa: ev.start({ port: PORT, date: DATE }),
    0xfb: ev.continue({ port: PORT, date: DATE }),
    0xfc: ev.stop({ port: PORT, date: DATE }),
    0xfe: ev.activeSens({ port: PORT, date: DATE }),
    0xff: ev.reset({ port: PORT, date: DATE }),
  };
  const MIDI_TYPES: EventType[] = [...ONE_MESSAGE_TYPES, ...CONTROLLER_TYPES, 'note'];

  /**
   * Any split into chunks and realtime bytes inserted anywhere (F9/FD too,
   * which are ignored): every message comes out whole and in order, each
   * realtime byte as its own event just after the messages that ended before it.
   */
  test('a stream of events split anywhere, with realtime bytes inserted anywhere', () => {
    const insertion = fc.record({ at: fc.nat(), byte: fc.constantFrom(...REALTIME_BYTES, 0xf9, 0xfd) });
    fc.assert(
      fc.property(
        fc.array(arbitraryEvent(MIDI_TYPES), { maxLength: 12 }),
        fc.array(insertion, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (events, insertions, cuts) => {
          const messages = events.flatMap((e) => eventToMidiBytes(e).map((message) => ({ e, message })));
          const clean = flat(messages.map((m) => m.message));
          // Sort key: a message counts at its last byte (+0.5), an inserted byte just before clean byte `at`.
          const expected: { key: number; event: MidiEvent }[] = [];
          let end = 0;
          for (const { e, message } of messages) {
            end += message.length;
            expected.push({ key: end - 0.5, event: expectedOfMessage(e, message, PORT, DATE) });
          }
          const placed = insertions.map(({ at, byte }) => ({ at: at % (clean.length + 1), byte }));
          const sortedInsertions = [...placed].sort((a, b) => a.at - b.at);
          for (const { at, byte } of sortedInsertions) {
            const event = REALTIME_EVENTS[byte];
            if (event !== undefined) expected.push({ key: at, event });
          }
          expected.sort((a, b) => a.key - b.key);

          const stream: number[] = [];
          let next = 0;
          for (let i = 0; i <= clean.length; i++) {
            while (next < sortedInsertions.length && sortedInsertions[next]?.at === i) {
              stream.push(sortedInsertions[next]?.byte ?? 0);
              next++;
            }
            if (i < clean.length) stream.push(clean[i] ?? 0);
          }
          const bounds = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...bounds].map((start, i) =>
            Uint8Array.from(stream.slice(start, bounds[i] ?? stream.length)),
          );

          const parsed = parseChunks(chunks, { port: PORT, date: DATE });
          assert.deepStrictEqual(
            parsed.events,
            expected.map((x) => x.event),
          );
          assert.deepStrictEqual(parsed.dropped, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a large SysEx in random chunks with realtime bytes inside comes out whole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.record({ at: fc.nat(), byte: fc.constantFrom(...REALTIME_BYTES) }), { maxLength: 20 }),
        (length, cuts, insertions) => {
          const data = Array.from({ length }, (_, i) => (i * 7) % 128);
          const stream = [0xf0, ...data, 0xf7];
          // Inserted after the F0 and before the F7, so that every one lands inside the SysEx.
          const placed = insertions
            .map(({ at, byte }) => ({ at: 1 + (at % (length + 1)), byte }))
            .sort((a, b) => b.at - a.at);
          for (const { at, byte } of placed) stream.splice(at, 0, byte);
          const bounds = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...bounds].map((start, i) =>
            Uint8Array.from(stream.slice(start, bounds[i] ?? stream.length)),
          );
          const { events } = parseChunks(chunks, { port: PORT, date: DATE });
          assert.deepStrictEqual(events, [
            ...placed.reverse().map(({ byte }) => REALTIME_EVENTS[byte]),
            ev.sysEx(data, { port: PORT, date: DATE }),
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
