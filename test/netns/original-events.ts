/**
 * Every kind of event the original msInetDriver's test client can make
 * (original-peer/capture.sh `events()`), as its command, as msinet's Event
 * JSON and as the original's client holds it: shared by the LAN and WAN
 * interoperability tests.
 */
import type { OriginalEvent } from '../harness/original-peer.js';

/** One event kind: the original's command, what msinet's Event JSON holds, what the original's client holds. */
export interface EventKind {
  command: string;
  event: Record<string, unknown>;
  /** MidiShare type code, port, channel and fields as the original's client prints them (RECV). */
  held: { type: number; port: number; chan: number; fields: number[] };
}

const kind = (command: string, event: Record<string, unknown>, type: number, fields: number[]): EventKind => {
  const port = (event['port'] as number | undefined) ?? 0;
  const chan = (event['chan'] as number | undefined) ?? 0;
  return { command, event: { ...event, port, chan }, held: { type, port, chan, fields } };
};

/**
 * capture.sh `events()`: every kind the original's test client can make, in its
 * order, with the field mapping of docs/protocol.md §4 (pitchWheel and songPos as
 * LSB + 128 × MSB; ctrl14b and the parameter types with the number in `ctrl`;
 * SMPTEOffset as the 4 bytes of MidiShare's packed word, little-endian; keySign's
 * key as the byte the original holds).
 */
export const EVERY_KIND: readonly EventKind[] = [
  kind('note 60 100 500 0 0', { type: 'note', pitch: 60, vel: 100, dur: 500 }, 0, [60, 100, 500]),
  kind('on 62 80 1', { type: 'keyOn', chan: 1, pitch: 62, vel: 80 }, 1, [62, 80]),
  kind('off 62 0 1', { type: 'keyOff', chan: 1, pitch: 62, vel: 0 }, 2, [62, 0]),
  kind('ev 3 2 0 64 33', { type: 'keyPress', chan: 2, pitch: 64, vel: 33 }, 3, [64, 33]),
  kind('ctrl 7 99 2', { type: 'ctrlChange', chan: 2, ctrl: 7, value: 99 }, 4, [7, 99]),
  kind('prog 5 3', { type: 'progChange', chan: 3, value: 5 }, 5, [5]),
  kind('ev 6 4 0 77', { type: 'chanPress', chan: 4, value: 77 }, 6, [77]),
  kind('bend 0 64 5', { type: 'pitchWheel', chan: 5, value: 8192 }, 7, [0, 64]),
  kind('ev 8 0 0 1 2', { type: 'songPos', value: 257 }, 8, [1, 2]),
  kind('ev 9 0 0 3', { type: 'songSel', value: 3 }, 9, [3]),
  ...(['clock', 'start', 'continue', 'stop', 'tune', 'activeSens', 'reset'] as const).map((type, i) =>
    kind(`ev ${10 + i} 0 0`, { type }, 10 + i, []),
  ),
  kind('sysex 1 2 3 4 5', { type: 'sysEx', data: [1, 2, 3, 4, 5] }, 17, [1, 2, 3, 4, 5]),
  kind('ev 18 0 0 144 60 100', { type: 'stream', data: [144, 60, 100] }, 18, [144, 60, 100]),
  kind('ev 130 0 0 3 5', { type: 'quarterFrame', data: [3, 5] }, 130, [3, 5]),
  kind('ev 131 6 1 1000 7', { type: 'ctrl14b', port: 1, chan: 6, ctrl: 1000, value: 7 }, 131, [1000, 7]),
  kind('ev 132 7 1 300 99', { type: 'nonRegParam', port: 1, chan: 7, ctrl: 300, value: 99 }, 132, [300, 99]),
  kind('ev 133 8 1 500 6', { type: 'regParam', port: 1, chan: 8, ctrl: 500, value: 6 }, 133, [500, 6]),
  kind('ev 134 0 0 12', { type: 'seqNum', value: 12 }, 134, [12]),
  kind('ev 135 0 0 104 105', { type: 'textual', text: 'hi' }, 135, [104, 105]),
  kind('ev 141 0 0 99 117 101', { type: 'cuePoint', text: 'cue' }, 141, [99, 117, 101]),
  kind('ev 142 9 0 9', { type: 'chanPrefix', chan: 9, value: 9 }, 142, [9]),
  kind('ev 143 0 0', { type: 'endTrack' }, 143, []),
  kind('ev 144 0 0 500000', { type: 'tempo', value: 500000 }, 144, [500000]),
  // Fields 1 2 3 4 set format (lost: MidiShare's mask bug), hours 2, minutes 3, seconds 4.
  kind(
    'ev 145 0 0 1 2 3 4',
    { type: 'smpteOffset', data: [0x00, 0x40, 0x0c, 0x02] },
    145,
    [0, 2, 3, 4, 0, 0],
  ),
  kind('ev 146 0 0 4 2 24 8', { type: 'timeSign', data: [4, 2, 24, 8] }, 146, [4, 2, 24, 8]),
  kind('ev 147 0 0 -2 1', { type: 'keySign', data: [254, 1] }, 147, [254, 1]),
  kind('ev 148 0 0 9 8 7', { type: 'specific', data: [9, 8, 7] }, 148, [9, 8, 7]),
  kind('ev 0 0 255 61 90 250', { type: 'note', port: 255, pitch: 61, vel: 90, dur: 250 }, 0, [61, 90, 250]),
];

/**
 * msinet's Event JSON takes a ctrl14b controller number 0–31 only (a MIDI
 * 14-bit controller pair is CC n / CC n+32), where the capture's command used
 * 1000; msinet → original sends this one in its place.
 */
const CTRL14B_IN_RANGE = kind(
  'ev 131 6 1 7 1000',
  { type: 'ctrl14b', port: 1, chan: 6, ctrl: 7, value: 1000 },
  131,
  [7, 1000],
);
export const SENDABLE_KINDS = EVERY_KIND.map((k) => (k.event['type'] === 'ctrl14b' ? CTRL14B_IN_RANGE : k));

export const isPort255 = (k: EventKind) => k.held.port === 255;

/**
 * Events split by path, each list in order: port 255 travels as a stream of
 * its own (over TCP, or to the broadcast address), so its order among the
 * others is free.
 */
export function byPath<T extends { port: unknown }>(events: readonly T[]): { realtime: T[]; port255: T[] } {
  return {
    realtime: events.filter((e) => e.port !== 255),
    port255: events.filter((e) => e.port === 255),
  };
}

export const withoutDate = (event: Record<string, unknown>): Record<string, unknown> => {
  const { date: _date, ...rest } = event;
  return rest;
};

export const heldOf = (e: OriginalEvent) => ({ type: e.type, port: e.port, chan: e.chan, fields: e.fields });
