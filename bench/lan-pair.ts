/**
 * A sending and a receiving station on the two lab hosts, seen the same way
 * whatever they are (msinet through its CLI, msinet through its library API,
 * the original, bare UDP), so that one procedure measures all of them.
 * Times are ms on the benchmark's clock (`benchClock`).
 */
import { readFileSync } from 'node:fs';
import type { LineProcess } from '../test/harness/line-process.js';
import type { Stamps } from './lan-stats.js';

export interface Pair {
  readonly label: string;
  /** Sends one event now. */
  send(id: number): void;
  /** Sends `count` events from `first` at once, as fast as the path takes them. */
  burst(first: number, count: number): void;
  /** Resolves once a readiness probe (an id ≥ PROBE_BASE) has arrived, false after `timeoutMs`. */
  probeArrived(timeoutMs: number): Promise<boolean>;
  /**
   * The stamps of the events sent since the last call, once `count` of them
   * have arrived or `timeoutMs` has passed; forgets them.
   */
  collect(count: number, timeoutMs: number): Promise<PairStamps>;
  /** Pids of the driver processes, for their memory. */
  driverPids(): { sender: number | undefined; receiver: number | undefined };
  /** The last warnings and errors the stations printed, to explain a loss. */
  problems(): string[];
}

export interface PairStamps extends Stamps {
  /** The original only: when its MidiShare kernel delivered each event (its date), besides when its client printed it. */
  kernelDelivered?: ReadonlyMap<number, number>;
  /**
   * msinet stations only: how far the receiver's clock reference of the sender
   * stood above the true difference of their clocks at the end of the run, ms.
   * SPEC §4 folds it into the delay (the reference transit time).
   */
  referenceAboveTruth?: number;
}

/** Driver flags for one side of a pair only (WAN: `-s` for the receiver, `-s ADDRESS` for the sender). */
export interface SideArgs {
  sender?: readonly string[];
  receiver?: readonly string[];
}

const EPOCH = process.hrtime.bigint();

/** The benchmark's clock: the machine's monotonic clock, in ms since the benchmark started. */
export function benchClock(): number {
  return Number(process.hrtime.bigint() - EPOCH) / 1e6;
}

/** The epoch, for stations that stamp on the same clock in other processes. */
export function benchEpoch(): string {
  return EPOCH.toString();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `handler` with each stdout line of `proc` and the benchmark time it was read. */
export function onLines(proc: LineProcess, handler: (line: string, at: number) => void): void {
  proc.onStdoutLine((line) => handler(line, benchClock()));
}

const PROBLEM_LINE = /\b(warn|error|ERR)\b:?/;
const PROBLEMS_KEPT = 3;

/** The last few warning and error lines of these processes, each with its label. */
export function problemLines(processes: readonly LineProcess[]): string[] {
  return processes.flatMap((proc) =>
    [...proc.stderrLines, ...proc.stdoutLines]
      .filter((line) => PROBLEM_LINE.test(line))
      .slice(-PROBLEMS_KEPT)
      .map((line) => `${proc.label}: ${line}`),
  );
}

/** Resolves when `done()` is true (checked every few ms), or with false after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = benchClock() + timeoutMs;
  while (!done()) {
    if (benchClock() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

/**
 * The process that does the work behind a lab command line: the lab starts
 * each station through setpriv, nsenter, `ip netns exec` and maybe unshare,
 * which exec one another; should one of them fork instead, its only child is
 * followed.
 */
export function workerPid(pid: number): number {
  let current = pid;
  for (let depth = 0; depth < 8; depth++) {
    let children: string[];
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim().split(/\s+/);
    } catch {
      return current;
    }
    if (children.length !== 1 || children[0] === '') return current;
    current = Number(children[0]);
  }
  return current;
}

/** VmRSS of a process, kB; undefined when it is gone. */
export function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${workerPid(pid)}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
