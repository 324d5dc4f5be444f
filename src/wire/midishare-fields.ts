/**
 * Events as MidiShare's numbered fields (MidiGetField / MidiSetField, in
 * midishare-src/src/common/Memory/msEvents.c): how the original and its
 * applications see an event, e.g. the `fields=[…]` the test peer prints and
 * the `ev TYPE CHAN PORT FIELD…` command it takes. This is the mapping
 * docs/protocol.md tabulates: field 0 of Ctrl14b/NonRegParam/RegParam is the
 * controller or parameter number (`ctrl`), field 1 the value.
 */
import { type MidiEvent, typeOfCode } from '../model/event.js';
import { type Result, ok, fail } from '../model/result.js';
import { packSmpteOffset, smpteOffsetFields } from './smpte-offset.js';
import { decodeText, encodeText } from './text.js';

export function midiShareFields(e: MidiEvent): number[] {
  switch (e.type) {
    case 'note':
      return [e.pitch, e.vel, e.dur];
    case 'keyOn':
    case 'keyOff':
    case 'keyPress':
      return [e.pitch, e.vel];
    case 'ctrlChange':
    case 'ctrl14b':
    case 'nonRegParam':
    case 'regParam':
      return [e.ctrl, e.value];
    case 'pitchWheel':
    case 'songPos':
      return [e.value & 0x7f, (e.value >> 7) & 0x7f];
    case 'progChange':
    case 'chanPress':
    case 'songSel':
    case 'chanPrefix':
    case 'seqNum':
    case 'tempo':
      return [e.value];
    case 'clock':
    case 'start':
    case 'continue':
    case 'stop':
    case 'tune':
    case 'activeSens':
    case 'reset':
    case 'endTrack':
      return [];
    case 'smpteOffset':
      return smpteOffsetFields(e.data);
    case 'quarterFrame':
    case 'timeSign':
    case 'keySign':
    case 'sysEx':
    case 'stream':
    case 'specific':
      return [...e.data];
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
      return [...encodeText(e.text)];
  }
}

/**
 * The event MidiShare would hold after MidiNewEv(code) and MidiSetField of
 * each field. Fails for codes msinet does not carry and for a count of
 * fields the type does not have.
 */
export function fromMidiShareFields(
  code: number,
  port: number,
  chan: number,
  fields: readonly number[],
): Result<MidiEvent> {
  const type = typeOfCode(code);
  if (type === undefined) return fail(`unknown event type ${code}`);
  const base = { port, chan };
  const need = (count: number) => (fields.length === count ? undefined : `${type} has ${count} fields`);
  // MidiSetField cuts each value to where MidiShare holds it: a byte, a 16-bit word or a long.
  const f = (i: number) => fields[i] ?? 0;
  const byte = (i: number) => f(i) & 0xff;
  const word = (i: number) => f(i) & 0xffff;
  const bytes = () => fields.map((v) => v & 0xff);
  const byFields = (): MidiEvent | string => {
    switch (type) {
      case 'note':
        return need(3) ?? { type, ...base, pitch: byte(0), vel: byte(1), dur: word(2) };
      case 'keyOn':
      case 'keyOff':
      case 'keyPress':
        return need(2) ?? { type, ...base, pitch: byte(0), vel: byte(1) };
      case 'ctrlChange':
        return need(2) ?? { type, ...base, ctrl: byte(0), value: byte(1) };
      case 'ctrl14b':
      case 'nonRegParam':
      case 'regParam':
        return need(2) ?? { type, ...base, ctrl: word(0), value: word(1) };
      case 'pitchWheel':
      case 'songPos':
        return need(2) ?? { type, ...base, value: (byte(0) & 0x7f) | ((byte(1) & 0x7f) << 7) };
      case 'progChange':
      case 'chanPress':
      case 'songSel':
      case 'chanPrefix':
        return need(1) ?? { type, ...base, value: byte(0) };
      case 'seqNum':
        return need(1) ?? { type, ...base, value: word(0) };
      case 'tempo':
        return need(1) ?? { type, ...base, value: f(0) >>> 0 };
      case 'clock':
      case 'start':
      case 'continue':
      case 'stop':
      case 'tune':
      case 'activeSens':
      case 'reset':
      case 'endTrack':
        return need(0) ?? { type, ...base };
      case 'smpteOffset': {
        // An application may set fewer than the six fields; the others stay 0.
        if (fields.length > 6) return 'smpteOffset has 6 fields';
        const [format, hours, minutes, seconds, frames, subframes] = [f(0), f(1), f(2), f(3), f(4), f(5)];
        const data = packSmpteOffset({ format, hours, minutes, seconds, frames, subframes });
        return { type, ...base, data };
      }
      case 'quarterFrame':
      case 'keySign':
        return need(2) ?? { type, ...base, data: bytes() };
      case 'timeSign':
        return need(4) ?? { type, ...base, data: bytes() };
      case 'sysEx':
      case 'stream':
      case 'specific':
        return { type, ...base, data: bytes() };
      case 'textual':
      case 'copyright':
      case 'seqName':
      case 'instrName':
      case 'lyric':
      case 'marker':
      case 'cuePoint':
        return { type, ...base, text: decodeText(Uint8Array.from(bytes())) };
    }
  };
  const event = byFields();
  return typeof event === 'string' ? fail(event) : ok(event);
}
