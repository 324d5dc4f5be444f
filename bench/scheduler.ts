/**
 * How late timers fire: the precise scheduler against rxjs's asyncScheduler.
 *
 *   node --import tsx bench/scheduler.ts [deadlines]
 *
 * The same random delays (1–20 ms) go through each scheduler one after the
 * other, so deadlines never compete; lateness is measured with
 * process.hrtime, not with the scheduler's own clock. Prints a markdown table:
 * lateness p50 / p99 / max, the count of early fires (lateness below 0), the
 * CPU time the process used per deadline and the garbage collections it ran.
 * About 2 × 2,000 × 10.5 ms ≈ 45 s with the default count.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { PreciseScheduler } from '../src/sources/precise-scheduler.js';

const count = Number(process.argv[2] ?? 2000);
const delays = Array.from({ length: count }, () => 1 + Math.floor(Math.random() * 20));

const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Lateness of one deadline in ms; negative is early. */
function lateness(scheduler: SchedulerLike, delayMs: number): Promise<number> {
  return new Promise((resolve) => {
    const deadline = hrMs() + delayMs;
    scheduler.schedule(() => resolve(hrMs() - deadline), delayMs);
  });
}

interface Row {
  name: string;
  early: number;
  earliest: number;
  histogram: hdr.Histogram;
  /** Process CPU time (user + system) per deadline, ms. */
  cpuMs: number;
  collections: number;
}

let collections = 0;
new PerformanceObserver((list) => (collections += list.getEntries().length)).observe({ entryTypes: ['gc'] });

async function measure(name: string, scheduler: SchedulerLike): Promise<Row> {
  // Lateness in µs; early fires are counted apart (a histogram holds no negative value).
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let early = 0;
  let earliest = 0;
  const cpu = process.cpuUsage();
  const collectionsBefore = collections;
  for (const delayMs of delays) {
    const late = await lateness(scheduler, delayMs);
    if (late < 0) {
      early += 1;
      earliest = Math.min(earliest, late);
    }
    histogram.recordValue(Math.max(0, Math.round(late * 1000)));
  }
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / delays.length;
  return { name, early, earliest, histogram, cpuMs, collections: collections - collectionsBefore };
}

const ms = (us: number) => (us / 1000).toFixed(3);

const rows = [
  await measure('precise (timer − 2 ms, then Atomics.wait slices)', new PreciseScheduler()),
  await measure('rxjs asyncScheduler', asyncScheduler),
];

console.log(
  `Timer lateness over ${count} sequential deadlines, random delays 1–20 ms (Node ${process.version}).\n`,
);
console.log(
  '| scheduler | p50 late (ms) | p99 late (ms) | max late (ms) | early fires | earliest (ms) | CPU per deadline (ms) | GCs |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const { name, early, earliest, histogram, cpuMs, collections: gcs } of rows) {
  const p50 = histogram.getValueAtPercentile(50);
  const p99 = histogram.getValueAtPercentile(99);
  console.log(
    `| ${name} | ${ms(p50)} | ${ms(p99)} | ${ms(histogram.maxValue)} | ${early} | ${earliest.toFixed(3)} | ${cpuMs.toFixed(3)} | ${gcs} |`,
  );
}
