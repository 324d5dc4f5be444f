/**
 * Fine dates, an msinet extension (SPEC §11): the sub-millisecond part that
 * version-1 dates leave out. Version 1 carries a packet's date and each
 * event's relative date in whole milliseconds, so an event played on the
 * other side lands up to ±0.5 ms from where it was sent, and the receiver's
 * clock reference wobbles by as much. To a peer that announced it reads them
 * (capabilities.ts), msinet sends its Midi packets as type 8: a version-1
 * Midi packet followed by a trailer of fractions, one byte each:
 *
 *   i8 the packet date's fraction | i8 per event that begins in the packet, in order
 *
 * A fraction is `exact − whole`, in [−0.5, 0.5] ms, counted in 1/256 ms
 * (about 4 µs, well under a scheduler's jitter). A continuation packet carries
 * the fraction of its group's date, so each trailer reads on its own.
 */

/** Steps of a fraction per millisecond. */
export const FINE_STEPS_PER_MS = 256;

/**
 * Event bytes per fine-dated packet where version 1 allows `maxEventBytes`:
 * room for the trailer (one byte, plus one per event begun, and an event is
 * at least 7 bytes), so a fine-dated packet is never longer than the longest
 * version-1 packet (LAN: 1283 event bytes and at most 185 trailer bytes).
 */
export function fineMaxEventBytes(maxEventBytes: number): number {
  return Math.floor(((maxEventBytes - 1) * 7) / 8);
}

/** The i8 step count of a fraction of a millisecond (clamped, for fractions splitDate did not make). */
export function fineStep(fraction: number): number {
  return Math.max(-128, Math.min(127, Math.round(fraction * FINE_STEPS_PER_MS)));
}

/** The fraction of a millisecond that an i8 step count stands for. */
export function fineFraction(step: number): number {
  return step / FINE_STEPS_PER_MS;
}

/**
 * The whole ms version 1 writes of a date: the nearest, taken from the date
 * already counted in steps, so that what is left is at most 127 steps up or
 * 128 down and a date within half a step below x.5 rounds up, not to +128.
 */
export function wholeMs(date: number): number {
  return Math.round(Math.round(date * FINE_STEPS_PER_MS) / FINE_STEPS_PER_MS);
}

/** What version 1 writes of a date (whole ms), and the fraction it leaves out. */
export function splitDate(date: number): { whole: number; fraction: number } {
  const whole = wholeMs(date);
  return { whole, fraction: date - whole };
}
