/**
 * The driver's clock seen from the page: `time` of a push (driver ms) ↔
 * `performance.now()`. Each push is a sample `local − driver`; the smallest
 * of the recent ones is the offset (the push that waited least in transit),
 * as the driver itself does for a remote's packets. A Web MIDI output then
 * plays an event at `toLocal(time)`, its delivery date on the page's clock,
 * plus a constant lead so that a push slower than the fastest keeps its place.
 */

/** Samples kept: at 20 pushes a second, the last half minute; enough to follow a drift. */
const WINDOW = 600;

export class DriverClock {
  private samples: number[] = [];
  private offset: number | undefined;

  /** A push dated `driverTime` arrived at `localNow` (performance.now()). */
  sample(driverTime: number, localNow: number): void {
    const sample = localNow - driverTime;
    this.samples.push(sample);
    if (this.samples.length > WINDOW) this.samples = this.samples.slice(-WINDOW / 2);
    this.offset = Math.min(...this.samples);
  }

  /** The page's time of a driver time; undefined before the first sample. */
  toLocal(driverTime: number): number | undefined {
    return this.offset === undefined ? undefined : driverTime + this.offset;
  }
}
