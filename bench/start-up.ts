/**
 * How long the installed tools take to start, next to `node -e 0`: each
 * command from exec to exit, as a shell runs it.
 *
 *   npm run build && node --import tsx bench/start-up.ts [runs] [--compare DIR]
 *
 * `--compare DIR`: another checkout, built (`npx tsc -p tsconfig.build.json`
 * there), timed in the same rounds: a before-and-after under the same load.
 * Its exit codes are not checked (an older build may not know a flag).
 *
 * The commands run round robin (one of each, then again), so a burst of load
 * from other programs falls on all of them alike rather than on one row; each
 * row gives the median and the 90th percentile of `runs` runs (default 20) and
 * the median's excess over `node -e 0`'s. `clients` and `status` ask a real
 * driver (asleep, on a temporary socket), as a user's first commands do.
 * Prints a markdown table, with the machine's load before and after.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/cli/cli-processes.js';
import { assertBuilt, BUILT_DRIVER, BUILT_MSINET, startBuilt } from '../test/harness/built.js';
import { loadAverage, machineLine, watchCpuPressure } from './lan-machine.js';

const args = process.argv.slice(2);
const compareAt = args.indexOf('--compare');
const compare = compareAt >= 0 ? args[compareAt + 1] : undefined;
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--compare') ?? 20);

interface Row {
  label: string;
  args: string[];
  /** Exit code the command is expected to end with (a check that it did its job); undefined: not checked. */
  code: number | undefined;
  times: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function timeOnce(row: Row): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, row.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const took = performance.now() - started;
  if (row.code !== undefined && run.status !== row.code) {
    throw new Error(`${row.label}: exit ${run.status}, expected ${row.code}: ${String(run.stderr)}`);
  }
  return took;
}

async function main(): Promise<void> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'msinet-start-up-'));
  const socket = join(dir, 'driver.sock');
  const driver = startBuilt(BUILT_DRIVER, ['-p', String(await freePort()), '--socket', socket]);
  try {
    await driver.waitForLine(/local clients: /, 30_000, { stream: 'stderr' });
    const commands = (driverBin: string, msinetBin: string, code: number | undefined, tag: string): Row[] => [
      { label: `\`msinet --help\`${tag}`, args: [msinetBin, '--help'], code, times: [] },
      { label: `\`msinet --version\`${tag}`, args: [msinetBin, '--version'], code, times: [] },
      {
        label: `\`msinet clients\`${tag}`,
        args: [msinetBin, '--socket', socket, 'clients'],
        code,
        times: [],
      },
      { label: `\`msinet status\`${tag}`, args: [msinetBin, '--socket', socket, 'status'], code, times: [] },
      { label: `\`msInetDriver -v\`${tag}`, args: [driverBin, '-v'], code, times: [] },
      { label: `\`msInetDriver --help\`${tag}`, args: [driverBin, '--help'], code, times: [] },
    ];
    const rows: Row[] = [
      { label: '`node -e 0`', args: ['-e', '0'], code: 0, times: [] },
      ...commands(BUILT_DRIVER, BUILT_MSINET, 0, ''),
      ...(compare === undefined
        ? []
        : commands(
            join(compare, 'dist/bin/msInetDriver.js'),
            join(compare, 'dist/bin/msinet.js'),
            undefined,
            ' (compared)',
          )),
    ];
    const loadBefore = loadAverage();
    const pressure = watchCpuPressure(() => performance.now());
    for (let run = 0; run < runs; run++) {
      for (const row of rows) row.times.push(timeOnce(row));
      process.stderr.write(`\rrun ${run + 1}/${runs}`);
    }
    process.stderr.write('\n');
    const cpuPressure = pressure.stop();

    const medianOf = (row: Row) =>
      percentile(
        [...row.times].sort((a, b) => a - b),
        50,
      );
    const baseline = medianOf(rows[0] as Row);
    const ms = (value: number) => value.toFixed(0);
    const lines = [
      `Start-up, ${runs} runs of each command round robin (${machineLine()}).`,
      `Load average before: ${loadBefore}, after: ${loadAverage()}; CPU pressure during the runs: ` +
        `${cpuPressure === undefined ? 'unknown' : `${(cpuPressure * 100).toFixed(0)} %`}.`,
      '',
      '| command | median (ms) | p90 (ms) | median − `node -e 0` (ms) |',
      '| ------- | ----------: | -------: | ------------------------: |',
      ...rows.map((row) => {
        const sorted = [...row.times].sort((a, b) => a - b);
        const median = percentile(sorted, 50);
        return `| ${row.label} | ${ms(median)} | ${ms(percentile(sorted, 90))} | ${row === rows[0] ? '—' : ms(median - baseline)} |`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await driver.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
