/**
 * A burst through the command line, counted from the start of the process:
 * 20,000 events piped into a fresh `msinet send --json` on host a, until the
 * last of them is printed by `msinet dump --json` on host b. What a script
 * that calls the tool once per burst gets, start-up included.
 *
 *   npm run build && node --import tsx bench/cli-burst.ts [runs] [events]
 *
 * MSINET_BENCH_ROOT=DIR runs another checkout's built tools instead (before and
 * after); MSINET_BENCH_CPU_PROFILES=DIR has each driver write a CPU profile there.
 *
 * Two hosts of a network-namespace lab (root), each with its driver as
 * installed (`dist/bin`, default flags: -g 10 -lat 10). Both drivers are kept
 * awake (a dump on each) and know each other before the first run, so a run
 * measures the tool and the path, not a wake-up. Each run starts its clock
 * just before it spawns `send` (through the lab's setpriv, nsenter and
 * `ip netns exec`, whose cost is in the table's `node -e 0` row), writes the
 * whole burst to its stdin at once, as a pipe from a file would, and stops it
 * when dump's line for the burst's last event is read. Prints a markdown table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBuilt,
  BUILT_DRIVER as THIS_DRIVER,
  BUILT_MSINET as THIS_MSINET,
} from '../test/harness/built.js';
import { canUseNetns, Lab } from '../test/harness/lab.js';
import type { LineProcess } from '../test/harness/line-process.js';
import { idRange, jsonLineOfId, PROBE_BASE } from './lan-events.js';
import { loadAverage, machineLine, watchCpuPressure } from './lan-machine.js';
import { idOfDumpLine } from './lan-pair-cli.js';
import { benchClock, onLines, until, workerPid } from './lan-pair.js';

/** CPU time (user + system) a process has used so far, ms; 0 when it is gone. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields =
      readFileSync(`/proc/${workerPid(pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

// MSINET_BENCH_ROOT=DIR: the tools of another checkout, built there (a before-and-after).
const otherRoot = process.env['MSINET_BENCH_ROOT'];
const BUILT_DRIVER = otherRoot === undefined ? THIS_DRIVER : join(otherRoot, 'dist/bin/msInetDriver.js');
const BUILT_MSINET = otherRoot === undefined ? THIS_MSINET : join(otherRoot, 'dist/bin/msinet.js');
const runs = Number(process.argv[2] ?? 10);
const events = Number(process.argv[3] ?? 20_000);
const GOAL_RATE = 60_000;
const HOSTS = ['hostA', 'hostB'] as const;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  if (otherRoot === undefined) assertBuilt();
  const netns = canUseNetns();
  if (!netns.ok) throw new Error(`cli-burst needs network namespaces: ${netns.why}`);
  if ((runs + 1) * events > PROBE_BASE)
    throw new Error(`at most ${Math.floor(PROBE_BASE / events) - 1} runs`);

  const dir = mkdtempSync(join(tmpdir(), 'msinet-cli-burst-'));
  const lab = await Lab.start({ hosts: HOSTS, subnet: '10.77.63' });
  const socketOf = (host: string) => join(dir, `${host}.sock`);
  const node = (host: string, args: readonly string[], label: string, hostname?: string): LineProcess =>
    lab.spawn(host, process.execPath, args, { label, ...(hostname ? { hostname } : {}) });
  try {
    // MSINET_BENCH_CPU_PROFILES=DIR: each driver writes a V8 CPU profile there when it stops.
    const profiles = process.env['MSINET_BENCH_CPU_PROFILES'];
    const profiling = profiles === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profiles];
    const drivers = HOSTS.map((host) =>
      node(host, [...profiling, BUILT_DRIVER, '--socket', socketOf(host)], `msInetDriver ${host}`, host),
    );
    await Promise.all(drivers.map((d) => d.waitForLine(/local clients: /, 30_000, { stream: 'stderr' })));

    // Deliveries on b, as dump prints them; a dump on a keeps a's driver awake between runs.
    let delivered = new Map<number, number>();
    const dump = node('hostB', [BUILT_MSINET, '--socket', socketOf('hostB'), 'dump', '--json'], 'dump b');
    onLines(dump, (line, at) => {
      const id = idOfDumpLine(line);
      if (id !== undefined) delivered.set(id, at);
    });
    node('hostA', [BUILT_MSINET, '--socket', socketOf('hostA'), 'dump'], 'dump a');
    const seen = async (): Promise<boolean> => {
      const clients = await lab.run('hostA', process.execPath, [
        BUILT_MSINET,
        '--socket',
        socketOf('hostA'),
        'clients',
        '--json',
      ]);
      return clients.code === 0 && clients.stdout.includes('"hostB"');
    };
    const deadline = benchClock() + 30_000;
    while (!(await seen())) {
      if (benchClock() > deadline) throw new Error('hostA never listed hostB');
    }

    // What starting any node program through the lab costs, for comparison.
    const nodeStarts: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = benchClock();
      await lab.run('hostA', process.execPath, ['-e', '0']);
      nodeStarts.push(benchClock() - started);
    }

    const loadBefore = loadAverage();
    const pressure = watchCpuPressure(benchClock);
    const rows: { rate: number; totalMs: number; sendMs: number; code: number | null; cpu: number[] }[] = [];
    const watched = [drivers[0], drivers[1], dump].map((p) => p?.pid);
    for (let run = 0; run < runs; run++) {
      const ids = idRange((run + 1) * events, events);
      const input = `${ids.map(jsonLineOfId).join('\n')}\n`;
      const last = ids[ids.length - 1] as number;
      delivered = new Map();
      const cpuBefore = watched.map(cpuMs);
      const started = benchClock();
      // GNU time says what send's own process used: it exits before it could be read from /proc.
      const send = lab.spawn(
        'hostA',
        '/usr/bin/time',
        [
          '-f',
          'cpu %U %S',
          process.execPath,
          BUILT_MSINET,
          '--socket',
          socketOf('hostA'),
          'send',
          '--to',
          'hostB',
          '--json',
        ],
        { label: 'send a' },
      );
      send.child.stdin?.end(input);
      const exit = send.exited.then((e) => ({ ...e, at: benchClock() }));
      if (!(await until(() => delivered.size >= events, 60_000, 1))) {
        throw new Error(`run ${run + 1}: ${delivered.size} of ${events} events arrived`);
      }
      const arrived = Math.max(...delivered.values(), delivered.get(last) ?? 0);
      const ended = await exit;
      const cpu = watched.map((pid, i) => cpuMs(pid) - (cpuBefore[i] ?? 0));
      const times = send.stderrLines.map((line) => /^cpu (\S+) (\S+)$/.exec(line)).find((m) => m !== null);
      cpu.push(times ? (Number(times[1]) + Number(times[2])) * 1000 : Number.NaN);
      rows.push({
        cpu,
        rate: (events / (arrived - started)) * 1000,
        totalMs: arrived - started,
        sendMs: ended.at - started,
        code: ended.code,
      });
      process.stderr.write(
        `run ${run + 1}/${runs}: ${Math.round((events / (arrived - started)) * 1000)} events/s\n`,
      );
    }
    const cpuPressure = pressure.stop();

    const whole = (n: number) => Math.round(n).toLocaleString('en-US');
    const rates = rows.map((r) => r.rate);
    const lines = [
      `${otherRoot === undefined ? '' : `(${otherRoot}) `}${events.toLocaleString('en-US')} events piped into \`msinet send --json\` on hostA until \`msinet dump --json\` ` +
        `on hostB printed the last, from the spawn of send; ${runs} runs (${machineLine()}).`,
      `Load average before: ${loadBefore}, after: ${loadAverage()}; CPU pressure during the runs: ` +
        `${cpuPressure === undefined ? 'unknown' : `${(cpuPressure * 100).toFixed(0)} %`}.`,
      '',
      '| figure | median | min | max |',
      '| ------ | -----: | --: | --: |',
      `| events/s, spawn of send → last event printed by dump | ${whole(percentile(rates, 50))} | ${whole(Math.min(...rates))} | ${whole(Math.max(...rates))} |`,
      `| ms, spawn of send → last event printed by dump | ${whole(
        percentile(
          rows.map((r) => r.totalMs),
          50,
        ),
      )} | ${whole(Math.min(...rows.map((r) => r.totalMs)))} | ${whole(Math.max(...rows.map((r) => r.totalMs)))} |`,
      `| ms, spawn of send → send exited | ${whole(
        percentile(
          rows.map((r) => r.sendMs),
          50,
        ),
      )} | ${whole(Math.min(...rows.map((r) => r.sendMs)))} | ${whole(Math.max(...rows.map((r) => r.sendMs)))} |`,
      ...['driver a', 'driver b', 'dump b', 'send a (the whole process)'].map((who, i) => {
        const used = rows.map((r) => r.cpu[i] ?? 0);
        return `| CPU ms of ${who} during a run | ${whole(percentile(used, 50))} | ${whole(Math.min(...used))} | ${whole(Math.max(...used))} |`;
      }),
      `| ms, spawn → exit of \`node -e 0\` through the lab | ${whole(percentile(nodeStarts, 50))} | ${whole(Math.min(...nodeStarts))} | ${whole(Math.max(...nodeStarts))} |`,
      '',
      `Goal ≥ ${whole(GOAL_RATE)} events/s (median): ${percentile(rates, 50) >= GOAL_RATE ? 'met' : 'not met'}. ` +
        `send exit codes: ${[...new Set(rows.map((r) => r.code))].join(', ')}.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
