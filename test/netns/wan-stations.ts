/**
 * msinet WAN stations in a lab: one msInetDriver process (the built CLI,
 * `node dist/bin/msInetDriver.js -s …`) per host, under its own host name,
 * and `msinet` (the built CLI too) run on the same host against the
 * station's socket. The built programs start in a fraction of the time tsx
 * takes, which matters when a test starts and kills servers. Driver log lines
 * are time-stamped as they arrive, so a test can measure how long the network
 * took to do something.
 */
import { join } from 'node:path';
import { readFileSync, readlinkSync } from 'node:fs';
import type { Lab, RunResult } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { BUILT_DRIVER, BUILT_MSINET } from '../harness/built.js';
import { REPO_ROOT } from '../harness/paths.js';

/** Node start-up inside a namespace on a loaded 2-core machine, with room to spare. */
export const START_TIMEOUT_MS = 20_000;

export interface ClientEntry {
  ref: number;
  name: string;
  kind: 'driver' | 'remote' | 'local';
  address?: string;
  stats?: Record<string, number>;
}

export interface Delivery {
  time: number;
  from: string;
  event: Record<string, unknown>;
}

export interface TimedLine {
  line: string;
  at: number;
}

function stampStderr(proc: LineProcess): number[] {
  const times: number[] = [];
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    const at = performance.now();
    for (const byte of chunk) if (byte === 0x0a) times.push(at);
  });
  return times;
}

export class WanStation {
  private driverProcess: LineProcess;
  private stderrTimes: number[];
  private readonly clients = new Set<LineProcess>();

  private constructor(
    readonly lab: Lab,
    readonly host: string,
    readonly hostName: string,
    readonly socket: string,
    readonly driverArgs: readonly string[],
  ) {
    this.driverProcess = this.spawnDriver();
    this.stderrTimes = stampStderr(this.driverProcess);
  }

  /** Starts `msInetDriver -s …driverArgs` on `host` and waits until its local endpoint listens. */
  static async start(
    lab: Lab,
    host: string,
    hostName: string,
    dir: string,
    driverArgs: readonly string[],
  ): Promise<WanStation> {
    const station = new WanStation(lab, host, hostName, join(dir, `${host}.sock`), driverArgs);
    await station.ready();
    return station;
  }

  get driver(): LineProcess {
    return this.driverProcess;
  }

  private spawnDriver(): LineProcess {
    return this.lab.spawn(
      this.host,
      process.execPath,
      [BUILT_DRIVER, '--socket', this.socket, ...this.driverArgs],
      { hostname: this.hostName, label: `${this.hostName} driver`, cwd: REPO_ROOT },
    );
  }

  private async ready(): Promise<void> {
    await this.driverProcess.waitForLine(/local clients: /, START_TIMEOUT_MS, { stream: 'stderr' });
  }

  /** Starts the driver again (same arguments) after it was killed; resolves once it serves. */
  async restart(): Promise<void> {
    if (this.driverProcess.running) throw new Error(`${this.hostName}: the driver still runs`);
    this.driverProcess = this.spawnDriver();
    this.stderrTimes = stampStderr(this.driverProcess);
    await this.ready();
  }

  get logMark(): number {
    return this.driverProcess.stderrLines.length;
  }

  async logLine(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
  ): Promise<TimedLine & { match: RegExpExecArray }> {
    const { line, index, match } = await this.driverProcess.waitForLine(pattern, timeoutMs, {
      stream: 'stderr',
      from,
    });
    return { line, match, at: this.stderrTimes[index] ?? performance.now() };
  }

  logLinesSince(from: number, pattern: RegExp): string[] {
    return this.driverProcess.stderrLines.slice(from).filter((line) => pattern.test(line));
  }

  /** Runs `msinet --socket <this station's> …args` on this station's host to its end. */
  msinet(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return this.lab.run(this.host, process.execPath, [BUILT_MSINET, '--socket', this.socket, ...args], {
      cwd: REPO_ROOT,
      label: `${this.hostName}: msinet ${args[0] ?? ''}`,
      timeoutMs: 30_000,
      ...options,
    });
  }

  /** A long-running `msinet` on this station's host (dump, or send reading stdin). */
  spawnMsinet(args: readonly string[]): LineProcess {
    const proc = this.lab.spawn(
      this.host,
      process.execPath,
      [BUILT_MSINET, '--socket', this.socket, ...args],
      {
        label: `${this.hostName}: msinet ${args.join(' ')}`,
        cwd: REPO_ROOT,
      },
    );
    this.clients.add(proc);
    void proc.exited.then(() => this.clients.delete(proc));
    return proc;
  }

  async clientList(): Promise<ClientEntry[]> {
    const result = await this.msinet(['clients', '--json']);
    if (result.code !== 0) throw new Error(`${this.hostName}: msinet clients failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as ClientEntry[];
  }

  async remotes(): Promise<ClientEntry[]> {
    return (await this.clientList()).filter((c) => c.kind === 'remote');
  }

  async status(): Promise<Record<string, unknown>> {
    const result = await this.msinet(['status', '--json']);
    if (result.code !== 0) throw new Error(`${this.hostName}: msinet status failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** Waits until the driver logs `<name> : connection complete [<address>]` at or after `from`. */
  complete(name: string, from = 0, timeoutMs = 15_000): Promise<TimedLine & { match: RegExpExecArray }> {
    return this.logLine(
      new RegExp(`\\] ${escape(name)} : connection complete \\[([\\d.]+)\\]`),
      timeoutMs,
      from,
    );
  }

  /** `msinet dump --json [extra]`; resolves once its client is listed (so nothing it should see is missed). */
  async openDump(name: string, extra: readonly string[] = []): Promise<LineProcess> {
    const dump = this.spawnMsinet(['dump', '--json', '--name', name, ...extra]);
    for (let attempt = 0; ; attempt++) {
      if (!dump.running) throw new Error(`${dump.label} exited\n${dump.tail()}`);
      if ((await this.clientList()).some((c) => c.name === name)) return dump;
      if (attempt > 50) throw new Error(`${dump.label}: its client never appeared\n${dump.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The driver's resident memory (VmRSS, kB) from /proc/<pid>/status of its node process. */
  rssKb(): number {
    const pid = nodePid(this.driverProcess);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  }

  async closeClients(): Promise<void> {
    await Promise.all([...this.clients].map((proc) => proc.kill('SIGINT', 2_000)));
  }
}

/**
 * The pid of the node process a lab spawned: the lab's wrapper (setpriv → nsenter → ip netns
 * exec → unshare → sh) execs or forks down to it, so it is the newest `node` descendant.
 */
export function nodePid(proc: LineProcess): number {
  const nodes = processTree(proc).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  });
  const found = nodes.at(-1);
  if (found === undefined) throw new Error(`${proc.label}: no node process under pid ${String(proc.pid)}`);
  return found;
}

/** The pids of `proc` and every process under it, parents first. */
function processTree(proc: LineProcess): number[] {
  const root = proc.pid;
  if (root === undefined) return [];
  const all: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    all.push(pid);
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) queue.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/**
 * How the original (the i386 build, shared/original-peer) runs under `proc`: natively on a kernel
 * with i386 support, else under qemu-i386 (its figures are then not the original's own).
 */
export function originalRuns(proc: LineProcess): 'native' | 'emulated' {
  const emulated = processTree(proc).some((pid) => {
    try {
      return /qemu/.test(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      return false;
    }
  });
  return emulated ? 'emulated' : 'native';
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The deliveries a `msinet dump --json` printed, parsed, once there are `count` (that satisfy `accept`). */
export function deliveries(
  dump: LineProcess,
  count: number,
  timeoutMs = 15_000,
  accept: (d: Delivery) => boolean = () => true,
): Promise<Delivery[]> {
  return brief(
    dump.waitUntil(
      () => {
        const got = parsed(dump).filter(accept);
        return got.length >= count ? got.slice(0, count) : undefined;
      },
      timeoutMs,
      `${count} deliveries (have ${parsed(dump).filter(accept).length})`,
    ),
  );
}

/** The same promise, but its error's lines cut short: a dump's tail of 60 KB SysEx is no message. */
export async function brief<T>(promise: Promise<T>, maxLine = 300): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const lines = error.message.split('\n').map((l) => (l.length > maxLine ? `${l.slice(0, maxLine)}…` : l));
    throw new Error(lines.join('\n'), { cause: error });
  }
}

const parsedCache = new WeakMap<LineProcess, Delivery[]>();

/** Every delivery a dump printed so far (parsed once each). */
export function parsed(dump: LineProcess): Delivery[] {
  const done = parsedCache.get(dump) ?? [];
  for (let i = done.length; i < dump.stdoutLines.length; i++) {
    done.push(JSON.parse(dump.stdoutLines[i] as string) as Delivery);
  }
  parsedCache.set(dump, done);
  return done;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
