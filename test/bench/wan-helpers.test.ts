// The WAN benchmark's bookkeeping: which client's event `msinet dump --json`
// delivered when, the delays and per-second spreads drawn from it, the CPU
// time read from /proc, and the id pool the pair runs take from. The
// benchmark's figures are only as right as these.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROBE_BASE, eventOfId } from '../../bench/lan-events.js';
import { IdPool } from '../../bench/pair-runs.js';
import { cpuShare, cpuTimeMs, peakRssKb } from '../../bench/proc-stat.js';
import { Deliveries, perSecond } from '../../bench/wan-deliveries.js';
import { eventToJson } from '../../src/model/event-json.js';
import { withDate, type MidiEvent } from '../../src/model/event.js';

/** The line `msinet dump --json` prints for event `id` from `from` (as bench/lan's test builds it). */
function dumpLine(from: string, id: number, time = 1234.5): string {
  const event = eventToJson(withDate(eventOfId(id) as MidiEvent, time));
  return JSON.stringify({ time, from, event });
}

describe('Deliveries', () => {
  test('each client’s events of the run are matched by sender and id; the first arrival counts', () => {
    const deliveries = new Deliveries();
    deliveries.expect(['client-01', 'client-02'], 100, 3);
    // The server's clock reads 1000 less than the benchmark's; hand-over to reading takes 1 or 3 ms.
    deliveries.read(dumpLine('client-01', 100, 10 - 1000 - 1), 10);
    deliveries.read(dumpLine('client-02', 102, 12 - 1000 - 3), 12);
    deliveries.read(dumpLine('client-01', 100, 50 - 1000), 50); // a duplicate: not a second delivery
    deliveries.read(dumpLine('client-01', 99), 11); // a straggler of the run before
    deliveries.read(dumpLine('client-01', 103), 11); // past the run
    deliveries.read(dumpLine('someone-else', 101), 11); // not a client of the run
    deliveries.read('{"not":"a delivery"}', 11);
    assert.equal(deliveries.count(), 2);
    // client-01 sent 100..102 at 1, 2, 3; client-02 at 4, 5, 6 (client order).
    const sentAt = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const parts = deliveries.delays(sentAt, 5);
    assert.deepEqual(parts.delays, [10 - 1 - 5, 12 - 6 - 5]);
    assert.deepEqual(parts.sentTimes, [1, 6]);
    // The quickest path (1 ms) sets the server's clock on the benchmark's: that path counts as 0.
    assert.deepEqual(parts.path, [0, 2]);
    assert.deepEqual(
      parts.server.map((own, i) => own + (parts.path[i] as number)),
      parts.delays,
      'the two parts add up to the delay',
    );
  });

  test('a probe tells who sent it, and is no delivery', () => {
    const deliveries = new Deliveries();
    deliveries.expect(['client-01'], 0, 10);
    const from: string[] = [];
    deliveries.onProbe = (name) => from.push(name);
    deliveries.read(dumpLine('client-01', PROBE_BASE + 3), 1);
    assert.deepEqual(from, ['client-01']);
    assert.equal(deliveries.count(), 0);
  });

  test('a new run forgets the last one', () => {
    const deliveries = new Deliveries();
    deliveries.expect(['client-01'], 0, 2);
    deliveries.read(dumpLine('client-01', 0), 1);
    deliveries.expect(['client-01'], 2, 2);
    assert.equal(deliveries.count(), 0);
    deliveries.read(dumpLine('client-01', 0), 1);
    assert.equal(deliveries.count(), 0);
  });
});

describe('perSecond', () => {
  test('delays fall into whole seconds counted from the first send', () => {
    const seconds = perSecond([1000, 1500, 2100, 3999], [1, 3, 10, 7]);
    assert.deepEqual(
      seconds.map((s) => [s.count, s.max]),
      [
        [2, 3],
        [1, 10],
        [1, 7],
      ],
    );
  });

  test('a second with nothing sent is an empty summary, not a hole', () => {
    const seconds = perSecond([0, 2500], [1, 2]);
    assert.equal(seconds.length, 3);
    assert.equal(seconds[1]?.count, 0);
  });
});

describe('/proc readings', () => {
  test('CPU time grows with work done; a gone process reads as undefined', () => {
    const before = cpuTimeMs(process.pid);
    const until = performance.now() + 100;
    while (performance.now() < until); // 100 ms of work
    const after = cpuTimeMs(process.pid);
    assert.ok(before !== undefined && after !== undefined);
    assert.ok(after > before, `${after} > ${before}`);
    assert.equal(cpuTimeMs(2 ** 22 + 1), undefined);
    assert.ok((peakRssKb(process.pid) ?? 0) > 1000);
  });

  test('cpuShare is CPU ms over wall ms, unknown without both readings', () => {
    assert.equal(cpuShare(100, 400, 1000), 0.3);
    assert.equal(cpuShare(undefined, 400, 1000), undefined);
    assert.equal(cpuShare(100, 400, 0), undefined);
  });
});

describe('IdPool', () => {
  test('runs get ids that do not overlap, below the probes, wrapping when they run out', () => {
    const pool = new IdPool();
    assert.equal(pool.take(10), 0);
    assert.equal(pool.take(5), 10);
    const big = PROBE_BASE - 10; // 15 + big reaches the probes: the pool starts again
    assert.equal(pool.take(big), 0);
    assert.ok(pool.take(1) + 1 < PROBE_BASE);
  });
});
