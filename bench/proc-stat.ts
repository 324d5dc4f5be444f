/**
 * What /proc says of a process: the CPU time it has used and its peak
 * memory, for figures over a run (take a reading before and after). Pids are
 * followed through the lab's launchers to the process doing the work
 * (workerPid).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { workerPid } from './lan-pair.js';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks a second (`getconf CLK_TCK`), in which /proc/PID/stat counts CPU time. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time the process (all its threads) has used, ms; undefined when it is gone. */
export function cpuTimeMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${workerPid(pid)}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Peak resident memory of the process so far (VmHWM), kB; undefined when it is gone. */
export function peakRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${workerPid(pid)}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Share of one CPU a process used between two readings (CPU ms over wall ms); 1 = one whole core. */
export function cpuShare(
  before: number | undefined,
  after: number | undefined,
  wallMs: number,
): number | undefined {
  if (before === undefined || after === undefined || wallMs <= 0) return undefined;
  return (after - before) / wallMs;
}
