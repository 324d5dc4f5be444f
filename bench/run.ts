/**
 * `npm run bench [-- --quick] [-- --raw FILE] [-- --only lan,wan]`: every benchmark, one after the
 * other (never two at once: they would measure each other), each in its own
 * process, their markdown tables on stdout, progress on stderr.
 *
 *   bench/scheduler.ts   timer lateness, precise scheduler vs asyncScheduler
 *   bench/codec.ts       packet encode/decode rates (when present)
 *   bench/cold-path.ts   one packet's work right after a pause, as at every deadline
 *   bench/pipeline.ts    two drivers in one process: the driver's own cost per event
 *   bench/lan.ts         msinet vs the original vs bare UDP on a two-host lab
 *   bench/wan.ts         one WAN server under 32 clients; WAN pairs at two settings
 *
 * `--quick` is a smoke run: fewer deadlines and events, rough figures.
 * `--only wan` (names without `.ts`, comma-separated) runs just those.
 * `--raw FILE` goes to bench/lan.ts. Exits 1 when a benchmark failed (the
 * others still run).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, machineLine } from './lan-machine.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = join(BENCH_DIR, '..');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rawAt = args.indexOf('--raw');
const raw = rawAt >= 0 ? args[rawAt + 1] : undefined;
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : undefined;

interface Benchmark {
  file: string;
  args: string[];
}

const BENCHMARKS: Benchmark[] = [
  // scheduler.ts takes a count of deadlines: 2,000 (≈ 45 s) by default.
  { file: 'scheduler.ts', args: quick ? ['150'] : [] },
  { file: 'codec.ts', args: [] },
  { file: 'cold-path.ts', args: quick ? ['100'] : [] },
  { file: 'pipeline.ts', args: quick ? ['3'] : [] },
  { file: 'lan.ts', args: [...(quick ? ['--quick'] : []), ...(raw !== undefined ? ['--raw', raw] : [])] },
  { file: 'wan.ts', args: quick ? ['--quick'] : [] },
];

function run(benchmark: Benchmark): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(BENCH_DIR, benchmark.file), ...benchmark.args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.once('error', (error) => {
      process.stderr.write(`bench: ${benchmark.file}: ${error.message}\n`);
      resolve(1);
    });
    child.once('close', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

const unknown = (only ?? []).filter((name) => !BENCHMARKS.some((b) => b.file === `${name}.ts`));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: no benchmark ${unknown.join(', ')} (there are ${BENCHMARKS.map((b) => b.file.replace(/\.ts$/, '')).join(', ')})\n`,
  );
  process.exit(2);
}

const started = Date.now();
console.log(`# msinet benchmarks${quick ? ' (quick)' : ''}\n`);
console.log(`${new Date().toISOString()} — ${machineLine()}; load average ${loadAverage()}.\n`);

const failed: string[] = [];
for (const benchmark of BENCHMARKS) {
  if (only !== undefined && !only.includes(benchmark.file.replace(/\.ts$/, ''))) continue;
  if (!existsSync(join(BENCH_DIR, benchmark.file))) {
    console.log(`(bench/${benchmark.file} is not there: skipped)\n`);
    continue;
  }
  const from = Date.now();
  process.stderr.write(`bench: running ${benchmark.file} ${benchmark.args.join(' ')}\n`);
  const code = await run(benchmark);
  if (code !== 0) failed.push(benchmark.file);
  console.log(
    `\n_bench/${benchmark.file}: ${((Date.now() - from) / 1000).toFixed(0)} s${code !== 0 ? `, **failed (exit ${code})**` : ''}; load average now ${loadAverage()}._\n`,
  );
}
console.log(`_All benchmarks: ${((Date.now() - started) / 1000).toFixed(0)} s._`);
process.exitCode = failed.length > 0 ? 1 : 0;
