/**
 * Events as text: the command-line form `msinet send` takes (SPEC §2) and a
 * readable one-line description for logs.
 *
 * Command-line form: the type, then `name=value` fields, separated by `:`,
 * in any order — `keyOn:chan=0:pitch=60:vel=100`, `note:pitch=60:vel=100:dur=500`,
 * `sysEx:data=1,2,3`, `textual:text=hello`, `progChange:value=5:port=1`.
 * Numbers are decimal (JavaScript number syntax, so `0x3c` works too); `data`
 * is a comma-separated list; in `text`, `%XX` stands for the ASCII character
 * with that hex code, so `%3A` is a colon and `%25` a percent sign. The same
 * validation and defaults as Event JSON apply: the text is turned into JSON
 * and handed to `parseEvent`.
 */
import { isChannelMessage, type MidiEvent } from './event.js';
import { parseEvent } from './event-json.js';
import { EVENT_FIELDS } from './event-schema.js';
import { fail, type Result } from './result.js';

/** A number when the text is one; else the text itself, for parseEvent to name in its message. */
function numberOrText(raw: string): number | string {
  const trimmed = raw.trim();
  const value = Number(trimmed);
  return trimmed !== '' && !Number.isNaN(value) ? value : raw;
}

// `:` separates fields and `%` escapes; control characters would break the one-line form.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[%:\x00-\x1f\x7f]/g;
const ESCAPED = /%([0-7][0-9A-Fa-f])/g;

function escapeText(text: string): string {
  return text.replace(NEEDS_ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapeText(text: string): string {
  return text.replace(ESCAPED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Parses the command-line text form of an event (see the file comment). */
export function parseEventText(input: string): Result<MidiEvent> {
  const [head = '', ...parts] = input.split(':');
  const type = head.trim();
  if (type === '' || type.includes('='))
    return fail('type: missing (write it first, as in keyOn:pitch=60:vel=100)');
  const json: Record<string, unknown> = { type };
  for (const part of parts) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) return fail(`${part.trim()}: expected name=value`);
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1);
    if (name === 'type') return fail('type: write it first, as in keyOn:pitch=60:vel=100');
    if (Object.hasOwn(json, name)) return fail(`${name}: given twice`);
    if (name === 'text') json[name] = unescapeText(raw);
    else if (name === 'data') json[name] = raw.trim() === '' ? [] : raw.split(',').map(numberOrText);
    else json[name] = numberOrText(raw);
  }
  return parseEvent(json);
}

/**
 * The command-line text form of an event: type, `date` when it has one,
 * `port` and `chan` when not 0, then its fields. parseEventText reads it back
 * to the same event.
 */
export function formatEventText(e: MidiEvent): string {
  const parts: string[] = [e.type];
  if (e.date !== undefined) parts.push(`date=${e.date}`);
  if (e.port !== 0) parts.push(`port=${e.port}`);
  if (e.chan !== 0) parts.push(`chan=${e.chan}`);
  const source = e as unknown as Record<string, unknown>;
  for (const { name } of EVENT_FIELDS[e.type]) {
    const value = source[name];
    if (name === 'text') parts.push(`text=${escapeText(String(value))}`);
    else if (Array.isArray(value)) parts.push(`${name}=${value.join(',')}`);
    else parts.push(`${name}=${String(value)}`);
  }
  return parts.join(':');
}

const NOTE_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** 60 → `C4 (60)`: middle C is C4, as in most sequencers. */
function pitchName(pitch: number): string {
  return `${NOTE_NAMES[pitch % 12] ?? '?'}${Math.floor(pitch / 12) - 1} (${pitch})`;
}

const MAX_SHOWN_BYTES = 16;

function hexBytes(data: readonly number[]): string {
  const shown = data.slice(0, MAX_SHOWN_BYTES).map((b) => b.toString(16).toUpperCase().padStart(2, '0'));
  return `${data.length} byte${data.length === 1 ? '' : 's'}${data.length > 0 ? ':' : ''} ${shown.join(' ')}${data.length > MAX_SHOWN_BYTES ? ' …' : ''}`.trimEnd();
}

function details(e: MidiEvent): string {
  switch (e.type) {
    case 'note':
      return `${pitchName(e.pitch)} vel ${e.vel} dur ${e.dur} ms`;
    case 'keyOn':
    case 'keyOff':
      return `${pitchName(e.pitch)} vel ${e.vel}`;
    case 'keyPress':
      return `${pitchName(e.pitch)} pressure ${e.vel}`;
    case 'ctrlChange':
      return `ctrl ${e.ctrl} = ${e.value}`;
    case 'ctrl14b':
      return `ctrl ${e.ctrl}/${e.ctrl + 32} = ${e.value}`;
    case 'nonRegParam':
      return `NRPN ${e.ctrl} = ${e.value}`;
    case 'regParam':
      return `RPN ${e.ctrl} = ${e.value}`;
    case 'progChange':
      return `program ${e.value}`;
    case 'chanPress':
      return `pressure ${e.value}`;
    case 'pitchWheel': {
      const bend = e.value - 8192;
      return `${e.value} (bend ${bend >= 0 ? '+' : ''}${bend})`;
    }
    case 'songPos':
      return `beat ${e.value}`;
    case 'songSel':
      return `song ${e.value}`;
    case 'seqNum':
      return `number ${e.value}`;
    case 'chanPrefix':
      return `channel ${e.value}`;
    case 'tempo':
      return e.value > 0
        ? `${e.value} µs/quarter (${Number((60_000_000 / e.value).toFixed(2))} bpm)`
        : `${e.value} µs/quarter`;
    case 'quarterFrame':
      return `piece ${e.data[0] ?? '?'} value ${e.data[1] ?? '?'}`;
    case 'timeSign': {
      const [numerator = 0, power = 0, clocks = 0, n32 = 0] = e.data;
      return `${numerator}/${2 ** power} (${clocks} clocks per click, ${n32} 32nds per quarter)`;
    }
    case 'keySign': {
      const [held = 0, mode = 0] = e.data;
      const key = held > 127 ? held - 256 : held;
      const accidentals =
        key === 0
          ? 'no sharps or flats'
          : `${Math.abs(key)} ${key > 0 ? 'sharp' : 'flat'}${Math.abs(key) === 1 ? '' : 's'}`;
      return `${accidentals} ${mode === 1 ? 'minor' : mode === 0 ? 'major' : `mode ${mode}`}`;
    }
    case 'sysEx':
    case 'stream':
    case 'smpteOffset':
    case 'specific':
      return hexBytes(e.data);
    case 'textual':
    case 'copyright':
    case 'seqName':
    case 'instrName':
    case 'lyric':
    case 'marker':
    case 'cuePoint':
      return JSON.stringify(e.text.length > 60 ? `${e.text.slice(0, 60)}…` : e.text);
    case 'clock':
    case 'start':
    case 'continue':
    case 'stop':
    case 'tune':
    case 'activeSens':
    case 'reset':
    case 'endTrack':
      return '';
  }
}

/**
 * One readable line for logs: `keyOn C4 (60) vel 100 (chan 0, port 0, at 1234 ms)`.
 * The channel is shown for channel messages (and for any other event whose chan is not 0).
 */
export function describeEvent(e: MidiEvent): string {
  const where = [
    ...(isChannelMessage(e) || e.chan !== 0 ? [`chan ${e.chan}`] : []),
    `port ${e.port}`,
    ...(e.date !== undefined ? [`at ${e.date} ms`] : []),
  ];
  const what = details(e);
  return `${e.type}${what === '' ? '' : ` ${what}`} (${where.join(', ')})`;
}
