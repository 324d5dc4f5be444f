/**
 * problemCounter keeps memory bounded under a flood from many addresses
 * (SPEC §10): kinds that name an address stay apart up to MAX_KINDS, and the
 * rest are counted together, none lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { silentLogger, type Logger } from '../../src/sinks/logger.js';
import { MAX_KINDS, OTHER_KIND, problemCounter } from '../../src/sinks/rate-limited-log.js';

test('a flood from 10,000 addresses keeps MAX_KINDS kinds, counts every problem, and says which fell into the rest', () => {
  const lines: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: ((message: string) => lines.push(message)) as unknown as Logger['warn'],
  };
  const problems = problemCounter(logger, new TestScheduler(assert.deepStrictEqual));
  for (let i = 0; i < 10_000; i++)
    problems(`bad packet from 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 'bad magic');
  const counts = problems.counts();
  assert.equal(Object.keys(counts).length, MAX_KINDS);
  assert.equal(
    Object.values(counts).reduce((sum, n) => sum + n, 0),
    10_000,
  );
  assert.equal(counts[OTHER_KIND], 10_000 - (MAX_KINDS - 1));
  // One line per kind kept apart, then one for the rest (rate-limited: the same instant).
  assert.equal(lines.length, MAX_KINDS);
  assert.equal(lines.at(-1), `${OTHER_KIND}, bad packet from 10.0.0.255: bad magic`);
});
