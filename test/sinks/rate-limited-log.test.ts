// problemCounter (src/sinks/rate-limited-log.ts) in virtual time: each kind of
// problem logs at once, then at most once per interval, saying how many of it
// went unreported since its last line; counts() has every problem.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import type { Logger } from '../../src/sinks/logger.js';
import { problemCounter } from '../../src/sinks/rate-limited-log.js';

/** A logger that keeps its warnings, each with the virtual time it was written at. */
function recordingLogger(scheduler: TestScheduler) {
  const lines: string[] = [];
  const record = (level: string) => (message: unknown) => {
    lines.push(`${scheduler.now()} ${level} ${String(message)}`);
    return logger;
  };
  const logger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
  };
  return { logger: logger as unknown as Logger, lines };
}

/** Runs `problems` (virtual ms, kind, detail) through a counter; what it logged, and its counts. */
function run(problems: [number, string, string][], intervalMs?: number) {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  let result: { lines: string[]; counts: Record<string, number> } | undefined;
  scheduler.run(({ flush }) => {
    const { logger, lines } = recordingLogger(scheduler);
    const count = problemCounter(logger, scheduler, intervalMs);
    // One action at a time, rescheduling itself to the next problem's time: the virtual
    // scheduler keeps its actions sorted, so 100,000 of them at once would cost minutes.
    const sorted = [...problems].sort((a, b) => a[0] - b[0]);
    scheduler.schedule<number>(
      function (next = 0) {
        let i = next;
        for (; i < sorted.length && (sorted[i] as [number, string, string])[0] <= scheduler.now(); i++) {
          const [, kind, detail] = sorted[i] as [number, string, string];
          count(kind, detail);
        }
        const upcoming = sorted[i];
        if (upcoming !== undefined) this.schedule(i, upcoming[0] - scheduler.now());
      },
      sorted[0]?.[0] ?? 0,
      0,
    );
    flush();
    result = { lines, counts: count.counts() };
  });
  assert.ok(result);
  return result;
}

describe('problemCounter', () => {
  test('the first problem of a kind is logged at once, the rest of its second counted, then reported with their number', () => {
    const { lines, counts } = run([
      [0, 'bad packet from 10.0.0.9', 'bad magic'],
      [10, 'bad packet from 10.0.0.9', 'truncated header'],
      [500, 'bad packet from 10.0.0.9', 'bad magic'],
      [999, 'bad packet from 10.0.0.9', 'bad magic'],
      [1000, 'bad packet from 10.0.0.9', 'unknown type 9'],
      [1500, 'bad packet from 10.0.0.9', 'bad magic'],
      [2500, 'bad packet from 10.0.0.9', 'bad magic'],
    ]);
    assert.deepEqual(lines, [
      '0 warn bad packet from 10.0.0.9: bad magic',
      '1000 warn bad packet from 10.0.0.9: unknown type 9 (3 more since the last report)',
      '2500 warn bad packet from 10.0.0.9: bad magic (1 more since the last report)',
    ]);
    assert.deepEqual(counts, { 'bad packet from 10.0.0.9': 7 });
  });

  test('a problem after a quiet interval says nothing of suppressed ones: there were none', () => {
    const { lines } = run([
      [0, 'k', 'one'],
      [5000, 'k', 'two'],
    ]);
    assert.deepEqual(lines, ['0 warn k: one', '5000 warn k: two']);
  });

  test('each kind has its own interval: one flooding kind does not silence another', () => {
    const flood: [number, string, string][] = Array.from({ length: 300 }, (_, i) => [i, 'flood', `#${i}`]);
    const { lines, counts } = run([...flood, [150, 'rare', 'once']]);
    assert.deepEqual(lines, ['0 warn flood: #0', '150 warn rare: once']);
    assert.deepEqual(counts, { flood: 300, rare: 1 });
  });

  test('a 10 s flood of 100,000 problems: one line a second, and the lines account for every problem', () => {
    const problems: [number, string, string][] = Array.from({ length: 100_000 }, (_, i) => [
      i / 10,
      'local client',
      `line ${i}: not JSON`,
    ]);
    const { lines, counts } = run(problems);
    assert.equal(lines.length, 10, lines.join('\n'));
    assert.deepEqual(
      lines.map((line) => Number(line.split(' ')[0])),
      [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000],
    );
    const reported = lines.length;
    const suppressed = lines.reduce((sum, line) => sum + Number(/\((\d+) more/.exec(line)?.[1] ?? 0), 0);
    // The last second's problems are counted, not yet reported: they wait for the next line.
    const sinceLast = problems.filter(([at]) => at > 9000).length;
    assert.equal(reported + suppressed + sinceLast, 100_000);
    assert.deepEqual(counts, { 'local client': 100_000 });
  });

  test('the interval is a parameter: 250 ms logs four times as often', () => {
    const problems: [number, string, string][] = Array.from({ length: 100 }, (_, i) => [
      i * 10,
      'k',
      String(i),
    ]);
    const { lines } = run(problems, 250);
    assert.deepEqual(
      lines.map((line) => line.split(' ')[0]),
      ['0', '250', '500', '750'],
    );
    assert.match(lines[1] ?? '', /^250 warn k: 25 \(24 more since the last report\)$/);
  });
});
