/**
 * The precise scheduler against the real clock. Bounds are one-sided (never
 * early) or loose (ordering, cancellation): a loaded 2-core machine can be
 * late by any amount, but never early.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, interval, of, delay, take, toArray, timer, map } from 'rxjs';
import { PreciseScheduler } from '../../src/sources/precise-scheduler.js';

/** Schedules `work` and resolves with what it returned when it ran. */
function runAfter<R>(scheduler: PreciseScheduler, delayMs: number, work: () => R): Promise<R> {
  return new Promise((resolve) => scheduler.schedule(() => resolve(work()), delayMs));
}

const activeTimers = () =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;

describe('PreciseScheduler', () => {
  test('now() counts milliseconds with sub-millisecond steps', async () => {
    const scheduler = new PreciseScheduler();
    const readings = Array.from({ length: 50 }, () => scheduler.now());
    assert.ok(
      readings.some((t) => !Number.isInteger(t)),
      'sub-millisecond readings',
    );
    assert.deepEqual(
      [...readings].sort((a, b) => a - b),
      readings,
      'monotonic',
    );
    const before = scheduler.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(scheduler.now() - before >= 19, 'advances with real time');
  });

  test('never runs an action before its deadline', async () => {
    const scheduler = new PreciseScheduler();
    const delays = Array.from({ length: 40 }, (_, i) => (i * 7) % 13);
    const lateness = await Promise.all(
      delays.map((delayMs) => {
        const deadline = scheduler.now() + delayMs;
        return runAfter(scheduler, delayMs, () => scheduler.now() - deadline);
      }),
    );
    for (const late of lateness) assert.ok(late >= 0, `ran ${-late} ms early`);
  });

  test('runs actions in deadline order; equal delays keep their scheduling order', async () => {
    const scheduler = new PreciseScheduler();
    const ran: string[] = [];
    const done = Promise.all([
      runAfter(scheduler, 8, () => ran.push('8 ms')),
      runAfter(scheduler, 3, () => ran.push('3 ms first')),
      runAfter(scheduler, 0, () => ran.push('0 ms')),
      runAfter(scheduler, 3, () => ran.push('3 ms second')),
    ]);
    await done;
    assert.deepEqual(ran, ['0 ms', '3 ms first', '3 ms second', '8 ms']);
  });

  test('a cancelled action never runs, and an empty queue leaves no timer behind', async () => {
    const timersBefore = activeTimers();
    const scheduler = new PreciseScheduler();
    let cancelledRan = false;
    const cancelled = scheduler.schedule(() => {
      cancelledRan = true;
    }, 5);
    const kept = runAfter(scheduler, 10, () => 'kept ran');
    cancelled.unsubscribe();
    assert.equal(await kept, 'kept ran');
    assert.equal(cancelledRan, false);
    const lastOne = scheduler.schedule(() => assert.fail('cancelled'), 50);
    lastOne.unsubscribe();
    assert.equal(activeTimers(), timersBefore);
  });

  test('an action that reschedules itself keeps its period without drift and is never early', async () => {
    const scheduler = new PreciseScheduler();
    const start = scheduler.now();
    const runs = await new Promise<number[]>((resolve) => {
      const times: number[] = [];
      scheduler.schedule<number>(
        function (count = 0) {
          times.push(scheduler.now());
          if (count < 4) this.schedule(count + 1, 5);
          else resolve(times);
        },
        5,
        0,
      );
    });
    runs.forEach((t, i) => assert.ok(t >= start + 5 * (i + 1), `run ${i} early`));
  });

  test('an action rescheduling itself at delay 0 does not starve the event loop', async () => {
    const scheduler = new PreciseScheduler();
    let loopTurned = false;
    const iterationsBeforeTurn = await new Promise<number>((resolve) => {
      scheduler.schedule<number>(
        function (count = 0) {
          if (count === 0) setImmediate(() => (loopTurned = true));
          if (loopTurned || count === 100) resolve(count);
          else this.schedule(count + 1, 0);
        },
        0,
        0,
      );
    });
    assert.ok(iterationsBeforeTurn <= 2, `loop blocked for ${iterationsBeforeTurn} iterations`);
  });

  test('waiting for a deadline, it sleeps in slices and lets I/O in between them', async () => {
    // spinMs 30: the whole wait is the sleeping part; a 0.25 ms slice keeps I/O waiting 0.25 ms, not 30.
    const scheduler = new PreciseScheduler({ spinMs: 30, sliceMs: 0.25 });
    const start = scheduler.now();
    const ranAt = new Promise<number>((resolve) => scheduler.schedule(() => resolve(scheduler.now()), 25));
    const timerAt = await new Promise<number>((resolve) => setTimeout(() => resolve(scheduler.now()), 5));
    assert.ok(timerAt - start < 15, `a 5 ms timer ran at ${(timerAt - start).toFixed(2)} ms`);
    assert.ok((await ranAt) - start >= 25, 'and the action not before its deadline');
  });

  test('drives rxjs operators: delay, timer, interval', async () => {
    const scheduler = new PreciseScheduler();
    const start = scheduler.now();
    const delayed = await firstValueFrom(
      of('x').pipe(
        delay(6, scheduler),
        map(() => scheduler.now()),
      ),
    );
    assert.ok(delayed - start >= 6);
    assert.equal(await firstValueFrom(timer(3, scheduler)), 0);
    assert.deepEqual(await firstValueFrom(interval(2, scheduler).pipe(take(4), toArray())), [0, 1, 2, 3]);
  });
});
