/**
 * The 4 bytes of a SMPTEOffset event (type 145). MidiShare packs six fields
 * into one 32-bit word (msEvents.c, smpteMask/smpteShft) and the original
 * sends that word's bytes in the sender's memory order; every capture comes
 * from x86, so the bytes are the word little-endian: `00 40 0c 02` is
 * 0x020C4000 = 2 h 3 min 4 s.
 *
 *   bits 29–30 format · 24–28 hours · 18–23 minutes · 12–17 seconds ·
 *   7–11 frames · 0–6 fractional frames (1/100)
 *
 * MidiShare's mask for the format is 0x06000000 where 0x60000000 was meant, so
 * an application can neither set nor read it (always 0). msinet reads and
 * writes the intended bits; with a MidiShare peer the format stays 0.
 */

export interface SmpteOffset {
  format: number;
  hours: number;
  minutes: number;
  seconds: number;
  frames: number;
  subframes: number;
}

/** Field order is MidiShare's field numbering (MidiGetField 0–5). */
const LAYOUT: readonly { field: keyof SmpteOffset; shift: number; bits: number }[] = [
  { field: 'format', shift: 29, bits: 2 },
  { field: 'hours', shift: 24, bits: 5 },
  { field: 'minutes', shift: 18, bits: 6 },
  { field: 'seconds', shift: 12, bits: 6 },
  { field: 'frames', shift: 7, bits: 5 },
  { field: 'subframes', shift: 0, bits: 7 },
];

export function unpackSmpteOffset(data: readonly number[]): SmpteOffset {
  const word =
    ((data[0] ?? 0) | ((data[1] ?? 0) << 8) | ((data[2] ?? 0) << 16) | ((data[3] ?? 0) << 24)) >>> 0;
  const fields = LAYOUT.map(
    ({ field, shift, bits }) => [field, (word >>> shift) & ((1 << bits) - 1)] as const,
  );
  return Object.fromEntries(fields) as unknown as SmpteOffset;
}

/** Values wider than their field are cut to it, as MidiSetField does. */
export function packSmpteOffset(offset: SmpteOffset): number[] {
  let word = 0;
  for (const { field, shift, bits } of LAYOUT) word |= (offset[field] & ((1 << bits) - 1)) << shift;
  return [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff];
}

/** The six fields in MidiShare's numbering, as the original's receiver prints them. */
export function smpteOffsetFields(data: readonly number[]): number[] {
  const offset = unpackSmpteOffset(data);
  return LAYOUT.map(({ field }) => offset[field]);
}
