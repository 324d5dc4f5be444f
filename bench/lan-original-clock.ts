/**
 * The original's clock on the benchmark's clock. MidiShare counts whole
 * milliseconds from its start: while it reads T, the benchmark's clock is in
 * [origin + T, origin + T + 1). Asking `time` between two benchmark stamps w
 * and r bounds the origin: origin ∈ [w − T − 1, r − T]. Several samples,
 * intersected, pin it to a fraction of a millisecond; a timer tick that came
 * late can make the bounds disagree, and then the median of the samples'
 * midpoints is taken instead.
 */

export interface ClockSample {
  /** Benchmark clock (ms) when the `time` command was written. */
  writtenAt: number;
  /** Benchmark clock (ms) when the answer was read. */
  readAt: number;
  /** The original's clock in the answer (whole ms). */
  clock: number;
}

export interface ClockOrigin {
  /** Benchmark time (ms) at which the original's clock read 0. */
  origin: number;
  /** Half the width of the interval the origin is known to lie in, ms. */
  uncertainty: number;
  /** Whether the samples agreed (intersection) or the median was taken. */
  method: 'intersection' | 'median';
}

export function clockOrigin(samples: readonly ClockSample[]): ClockOrigin {
  if (samples.length === 0) throw new Error('clockOrigin: no samples');
  // The quicker half of the answers bound the origin the tightest; slow ones add nothing but risk.
  const quick = [...samples]
    .sort((x, y) => x.readAt - x.writtenAt - (y.readAt - y.writtenAt))
    .slice(0, Math.max(1, Math.ceil(samples.length / 2)));
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  for (const s of quick) {
    low = Math.max(low, s.writtenAt - s.clock - 1);
    high = Math.min(high, s.readAt - s.clock);
  }
  if (low <= high) return { origin: (low + high) / 2, uncertainty: (high - low) / 2, method: 'intersection' };
  const midpoints = quick.map((s) => (s.writtenAt + s.readAt) / 2 - s.clock - 0.5).sort((x, y) => x - y);
  const middle = midpoints.length / 2;
  const median =
    midpoints.length % 2 === 1
      ? (midpoints[Math.floor(middle)] as number)
      : ((midpoints[middle - 1] as number) + (midpoints[middle] as number)) / 2;
  const spread = Math.max(...midpoints.map((m) => Math.abs(m - median)));
  return { origin: median, uncertainty: spread, method: 'median' };
}

/** A reading of the original's clock (printed during a tick) → the benchmark time in the middle of that tick. */
export function benchTimeOfReading(origin: ClockOrigin, clock: number): number {
  return origin.origin + clock + 0.5;
}

/** A date MidiShare delivered an event at (the start of that tick) → benchmark time. */
export function benchTimeOfDate(origin: ClockOrigin, date: number): number {
  return origin.origin + date;
}
