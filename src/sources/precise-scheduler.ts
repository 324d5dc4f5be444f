/**
 * Time itself: a `SchedulerLike` that never fires early and is rarely more than
 * a fraction of a millisecond late. This is the one place in msinet that reads
 * the real clock (DESIGN.md "Time is injected").
 *
 * Node's timers work in whole milliseconds of a loop clock that is read once
 * per loop turn, so `setTimeout(f, 5)` may run 4.x ms later by `process.hrtime`,
 * or 2 ms later. Here one timer is set `spinMs` before the earliest deadline;
 * from there the thread sleeps in `Atomics.wait`, whose timeout has µs
 * resolution, in slices of at most `sliceMs` with a `setImmediate` turn
 * between them to let I/O in, until the deadline is `WAKE_LATENCY_MS` away,
 * and watches the clock for the rest.
 *
 * It used to spin: `setImmediate` turns re-reading the clock for the whole
 * 2 ms. That kept a CPU busy before every deadline, and each turn leaves an
 * Immediate behind: a 2 ms spin made enough garbage for a young-generation
 * collection every few deadlines (measured), which then ran just before a
 * deadline and made it late by its length (0.4–3 ms here), as did the kernel
 * when it preempted a spinning process. A sleeping thread makes no garbage
 * and leaves the CPU to others. All pending actions share one queue
 * ordered by (deadline, order of scheduling), so actions due at once run in
 * the order they were scheduled, as with rxjs's own schedulers.
 *
 * `now()` is milliseconds, with sub-millisecond precision, since the scheduler
 * was made (the module's `preciseScheduler`: since the driver started, like
 * MidiShare's clock).
 */
import { performance } from 'node:perf_hooks';
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { DeadlineQueue, type Queueable } from './deadline-queue.js';

export interface PreciseSchedulerOptions {
  /** How long before a deadline Node's timer hands over to the sliced sleep, ms. */
  spinMs?: number;
  /** How long the thread may sleep before it lets I/O in, ms. */
  sliceMs?: number;
}

/**
 * How late `Atomics.wait` wakes, at most (measured here: 0.08–0.11 ms typically,
 * 0.15 ms at p99): the thread sleeps until a deadline is this far, then watches the clock.
 */
const WAKE_LATENCY_MS = 0.15;

/** The longest delay Node's setTimeout keeps. */
const MAX_TIMER_MS = 0x7fffffff;

/** Something to wait on that nothing ever notifies: `Atomics.wait` on it is a sleep. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

type Work<T> = (this: SchedulerAction<T>, state?: T) => void;

/** What the queue needs of an action, whatever its state type. */
interface Pending extends Queueable {
  readonly closed: boolean;
  run(): void;
}

class PreciseAction<T> extends Subscription implements SchedulerAction<T>, Pending {
  deadline = 0;
  order = 0;
  queued = false;
  /** The deadline of the run in progress; undefined between runs. */
  private runDeadline: number | undefined;

  constructor(
    private readonly scheduler: PreciseScheduler,
    private readonly work: Work<T>,
    private state: T | undefined,
  ) {
    super();
  }

  /**
   * Rescheduling from inside the work counts the delay from this run's
   * deadline, not from now, so a periodic action does not drift by its own
   * lateness (a grouping period stays G ms long on average).
   */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    const base = this.runDeadline ?? this.scheduler.now();
    this.scheduler.enqueue(this, base + Math.max(0, delay));
    return this;
  }

  run(): void {
    this.runDeadline = this.deadline;
    try {
      this.work.call(this, this.state);
    } finally {
      this.runDeadline = undefined;
      if (!this.scheduler.isQueued(this)) this.unsubscribe();
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.scheduler.dequeue(this);
    super.unsubscribe();
  }
}

export class PreciseScheduler implements SchedulerLike {
  private readonly origin = performance.now();
  private readonly spinMs: number;
  private readonly sliceMs: number;
  /** Earliest first, by (deadline, order). */
  private readonly queue = new DeadlineQueue<Pending>();
  private nextOrder = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(options: PreciseSchedulerOptions = {}) {
    this.spinMs = options.spinMs ?? 2;
    this.sliceMs = options.sliceMs ?? 0.25;
  }

  now(): number {
    // performance.now() reads the same monotonic clock as process.hrtime, without a BigInt per call.
    return performance.now() - this.origin;
  }

  schedule<T>(work: Work<T>, delay = 0, state?: T): Subscription {
    return new PreciseAction<T>(this, work, state).schedule(state, delay);
  }

  /** @internal (used by the actions) */
  enqueue(action: Pending, deadline: number): void {
    this.queue.remove(action);
    // A NaN deadline (a NaN delay) never comes: it sorts last instead of breaking the order.
    action.deadline = Number.isNaN(deadline) ? Infinity : deadline;
    action.order = this.nextOrder++;
    this.queue.add(action);
    if (this.queue.peek() === action) this.arm();
  }

  /** @internal */
  dequeue(action: Pending): void {
    if (!action.queued) return;
    this.queue.remove(action);
    if (this.queue.size === 0) this.disarm();
  }

  /** @internal */
  isQueued(action: Pending): boolean {
    return action.queued;
  }

  /**
   * One turn of waiting: a slice of sleep, or the last stretch to the deadline;
   * then runs what is due. Actions scheduled while it runs wait for the next
   * turn, so an action that keeps rescheduling itself at delay 0 cannot starve
   * the loop.
   */
  private pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const next = this.queue.peek()?.deadline;
    if (next === undefined) return;
    let now = this.now();
    if (next - now > WAKE_LATENCY_MS) {
      sleep(Math.min(this.sliceMs, next - now - WAKE_LATENCY_MS));
      now = this.now();
    }
    // The last stretch, shorter than a wake-up can be trusted with, is watched on the clock.
    if (next - now <= WAKE_LATENCY_MS) while (now < next) now = this.now();
    const due: Pending[] = [];
    while ((this.queue.peek()?.deadline ?? Infinity) <= now) due.push(this.queue.pop() as Pending);
    if (due.length === 0) return this.arm();
    let failure: { error: unknown } | undefined;
    for (const action of due) {
      // An action cancelled or rescheduled by one that ran before it waits for its new turn.
      if (action.closed || this.isQueued(action)) continue;
      try {
        action.run();
      } catch (error) {
        failure ??= { error };
      }
    }
    this.arm();
    // Like rxjs's schedulers, a throwing action is an uncaught error; the others due with it still ran.
    if (failure !== undefined) throw failure.error;
  };

  private arm(): void {
    this.disarm();
    const first = this.queue.peek();
    if (first === undefined) return;
    const wait = first.deadline - this.now() - this.spinMs;
    // Node fires a timer set past 2^31 − 1 ms (24.8 days) after 1 ms instead: wake then, and wait again.
    if (wait >= 1) this.timer = setTimeout(this.pump, Math.min(Math.floor(wait), MAX_TIMER_MS));
    else this.immediate = setImmediate(this.pump);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

/** The driver's clock and timer: made when this module loads. */
export const preciseScheduler = new PreciseScheduler();
