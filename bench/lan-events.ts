/**
 * The benchmark's events: each carries its own id in (type, pitch, vel, chan),
 * so a receiver knows which event arrived without any payload beyond MIDI.
 * Ids come in pairs, as a keyboard plays: the even id is a keyOn, the odd one
 * the keyOff of the same note (pitch, vel, chan), so notes do not pile up in
 * a receiver's stuck-note guard. Velocity 64 is never used, because that guard
 * releases hanging notes with keyOff velocity 64 after a gap: such a keyOff is
 * the driver's, not the benchmark's, and must not count as an arrival.
 */

export type KeyType = 'keyOn' | 'keyOff';

export interface KeyFields {
  type: KeyType;
  pitch: number;
  vel: number;
  chan: number;
}

/** The stuck-note guard's release velocity (src/operators/stuck-note-guard.ts). */
const GUARD_VELOCITY = 64;
/** Velocities an id may use: 1..127 without 64 (0 would turn a keyOn into a keyOff). */
const VELOCITIES = Array.from({ length: 127 }, (_, i) => i + 1).filter((v) => v !== GUARD_VELOCITY);
/** Each velocity's place in VELOCITIES, -1 for none: read for every arrival, so no search. */
const VELOCITY_INDEX = Array.from({ length: 128 }, (_, vel) => VELOCITIES.indexOf(vel));
const PITCHES = 128;
const CHANNELS = 16;

/** How many distinct ids there are: a keyOn and a keyOff per note. */
export const ID_CAPACITY = 2 * PITCHES * VELOCITIES.length * CHANNELS;
/** Ids from here up are readiness probes, never measured. */
export const PROBE_BASE = ID_CAPACITY - 10_000;

export function typeOfId(id: number): KeyType {
  return id % 2 === 0 ? 'keyOn' : 'keyOff';
}

export function fieldsOfId(id: number): KeyFields {
  if (!Number.isInteger(id) || id < 0 || id >= ID_CAPACITY) throw new Error(`event id ${id} out of range`);
  const note = Math.floor(id / 2);
  const pitch = note % PITCHES;
  const rest = Math.floor(note / PITCHES);
  const vel = VELOCITIES[rest % VELOCITIES.length] as number;
  const chan = Math.floor(rest / VELOCITIES.length);
  return { type: typeOfId(id), pitch, vel, chan };
}

/** The event an id stands for, on port 0, as a client sends it (one object, no copy). */
export function eventOfId(id: number): KeyFields & { port: number } {
  const { type, pitch, vel, chan } = fieldsOfId(id);
  return { type, port: 0, chan, pitch, vel };
}

function isIndex(value: unknown, size: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < size;
}

/** The id an arrived event carries, or undefined when it is not one of the benchmark's. */
export function idOfFields(fields: {
  type: string;
  pitch?: unknown;
  vel?: unknown;
  chan?: unknown;
}): number | undefined {
  const { type, pitch, vel, chan } = fields;
  if (type !== 'keyOn' && type !== 'keyOff') return undefined;
  if (!isIndex(pitch, PITCHES) || !isIndex(chan, CHANNELS) || !isIndex(vel, VELOCITY_INDEX.length)) {
    return undefined;
  }
  const velIndex = VELOCITY_INDEX[vel] ?? -1;
  if (velIndex < 0) return undefined;
  const note = (chan * VELOCITIES.length + velIndex) * PITCHES + pitch;
  return 2 * note + (type === 'keyOff' ? 1 : 0);
}

/** One line of `msinet send --json` input. */
export function jsonLineOfId(id: number): string {
  const { type, pitch, vel, chan } = fieldsOfId(id);
  return JSON.stringify({ type, port: 0, chan, pitch, vel });
}

/** One command line of the original's test client (`on PITCH VEL CHAN` / `off PITCH VEL CHAN`). */
export function originalCommandOfId(id: number): string {
  const { type, pitch, vel, chan } = fieldsOfId(id);
  return `${type === 'keyOn' ? 'on' : 'off'} ${pitch} ${vel} ${chan}`;
}

/** MidiShare type codes of the two key events (SPEC §5.4). */
const KEY_TYPE_OF_CODE: Record<number, KeyType> = { 1: 'keyOn', 2: 'keyOff' };

/** The id of an event the original's client printed (`type=1 fields=[pitch vel]`). */
export function idOfOriginalEvent(event: {
  type: number;
  chan: number;
  fields: readonly number[];
}): number | undefined {
  const type = KEY_TYPE_OF_CODE[event.type];
  if (type === undefined) return undefined;
  return idOfFields({ type, pitch: event.fields[0], vel: event.fields[1], chan: event.chan });
}

/** `count` consecutive ids from `first`. */
export function idRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}
