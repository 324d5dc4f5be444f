/**
 * msinet stations in a lab (test/harness/lab.ts): one msInetDriver process per
 * host, under its own host name, with `msinet` run on the same host against
 * the station's socket. Driver log lines are time-stamped as they arrive, so
 * a test can measure how long the network took to do something.
 */
import { join } from 'node:path';
import type { Lab, RunResult } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT, tsNodeArgs } from '../harness/paths.js';

export const DRIVER_BIN = 'src/bin/msInetDriver.ts';
export const MSINET_BIN = 'src/bin/msinet.ts';

/** Node + tsx start-up inside a namespace on a loaded 2-core machine, with room to spare. */
export const START_TIMEOUT_MS = 20_000;

export interface ClientEntry {
  ref: number;
  name: string;
  kind: 'driver' | 'remote' | 'local';
  address?: string;
  stats?: Record<string, unknown>;
}

export interface Delivery {
  time: number;
  from: string;
  event: Record<string, unknown>;
}

/** A line of output and when the test process read it (`performance.now()`). */
export interface TimedLine {
  line: string;
  at: number;
}

/** Records when each stderr line of `proc` arrived; index i is `proc.stderrLines[i]`. */
function stampStderr(proc: LineProcess): number[] {
  const times: number[] = [];
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    const at = performance.now();
    for (const byte of chunk) if (byte === 0x0a) times.push(at);
  });
  return times;
}

export class Station {
  private driverProcess: LineProcess;
  private stderrTimes: number[];
  /** msinet processes started for the current test; `closeClients` ends them. */
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

  /** Starts the driver and waits until its local endpoint listens. */
  static async start(
    lab: Lab,
    host: string,
    hostName: string,
    dir: string,
    driverArgs: readonly string[] = [],
  ): Promise<Station> {
    const station = new Station(lab, host, hostName, join(dir, `${host}.sock`), driverArgs);
    await station.ready();
    return station;
  }

  get driver(): LineProcess {
    return this.driverProcess;
  }

  get address(): string {
    return this.lab.address(this.host);
  }

  private spawnDriver(): LineProcess {
    // --linger 0: these stations fall asleep the moment their last client goes, as the tests of
    // sleeping and Bye expect (a later --linger in driverArgs wins).
    const args = ['--socket', this.socket, '--linger', '0', ...this.driverArgs];
    return this.lab.spawnTypeScript(this.host, DRIVER_BIN, args, {
      hostname: this.hostName,
      label: `${this.hostName} driver`,
    });
  }

  private async ready(): Promise<void> {
    await this.driverProcess.waitForLine(/local clients: /, START_TIMEOUT_MS, { stream: 'stderr' });
  }

  /** Starts the driver again after it was killed. */
  async restart(): Promise<void> {
    if (this.driverProcess.running) throw new Error(`${this.hostName}: the driver still runs`);
    this.driverProcess = this.spawnDriver();
    this.stderrTimes = stampStderr(this.driverProcess);
    await this.ready();
  }

  /** Where the next driver log line will be: pass it as `from` to `logLine`. */
  get logMark(): number {
    return this.driverProcess.stderrLines.length;
  }

  /** The first driver log line at or after `from` matching `pattern`, with the time it arrived. */
  async logLine(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
  ): Promise<TimedLine & { match: RegExpExecArray }> {
    const { line, index, match } = await this.driverProcess.waitForLine(pattern, timeoutMs, {
      stream: 'stderr',
      from,
    });
    // Stamped by a 'data' listener in the same tick readline split the chunk, before this await resumes.
    return { line, match, at: this.stderrTimes[index] ?? performance.now() };
  }

  /** Lines logged since `from` that match `pattern`. */
  logLinesSince(from: number, pattern: RegExp): string[] {
    return this.driverProcess.stderrLines.slice(from).filter((line) => pattern.test(line));
  }

  /** Runs `msinet --socket <this station's> …args` on this station's host to its end. */
  msinet(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return this.lab.run(
      this.host,
      process.execPath,
      tsNodeArgs(MSINET_BIN, ['--socket', this.socket, ...args]),
      {
        cwd: REPO_ROOT,
        label: `${this.hostName}: msinet ${args[0] ?? ''}`,
        timeoutMs: 30_000,
        ...options,
      },
    );
  }

  /** A long-running `msinet` on this station's host (dump, or send reading stdin). */
  spawnMsinet(args: readonly string[]): LineProcess {
    const proc = this.lab.spawnTypeScript(this.host, MSINET_BIN, ['--socket', this.socket, ...args], {
      label: `${this.hostName}: msinet ${args.join(' ')}`,
    });
    this.clients.add(proc);
    void proc.exited.then(() => this.clients.delete(proc));
    return proc;
  }

  async clientList(): Promise<ClientEntry[]> {
    const result = await this.msinet(['clients', '--json']);
    if (result.code !== 0) throw new Error(`${this.hostName}: msinet clients failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as ClientEntry[];
  }

  async remoteNames(): Promise<string[]> {
    return (await this.clientList()).filter((c) => c.kind === 'remote').map((c) => c.name);
  }

  async status(): Promise<Record<string, unknown>> {
    const result = await this.msinet(['status', '--json']);
    if (result.code !== 0) throw new Error(`${this.hostName}: msinet status failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /**
   * Opens a local client with `msinet dump --json` (waking the station) and
   * resolves once the driver says it is awake; `awakeAt` is when it said so.
   */
  async openDump(extra: readonly string[] = []): Promise<{ dump: LineProcess; awakeAt: number }> {
    const from = this.logMark;
    const dump = this.spawnMsinet(['dump', '--json', ...extra]);
    const awake = await Promise.race([
      this.logLine(/awake: announcing/, START_TIMEOUT_MS, from),
      dump.exited.then((exit) => {
        throw new Error(`${dump.label} exited (${JSON.stringify(exit)})\n${dump.tail()}`);
      }),
    ]);
    return { dump, awakeAt: awake.at };
  }

  /** Ends every msinet this station started in the test and waits for the driver to sleep again. */
  async closeClients(): Promise<void> {
    await Promise.all([...this.clients].map((proc) => proc.kill('SIGINT', 2_000)));
    if (!this.driverProcess.running) return;
    const lines = this.driverProcess.stderrLines;
    let lastAwake = lines.length - 1;
    while (lastAwake >= 0 && !/awake: announcing/.test(lines[lastAwake] as string)) lastAwake--;
    if (lastAwake >= 0) await this.logLine(/asleep: no local client/, 10_000, lastAwake + 1);
  }
}

/** The deliveries a `msinet dump --json` printed, parsed, once there are `count`. */
export function deliveries(dump: LineProcess, count: number, timeoutMs = 15_000): Promise<Delivery[]> {
  return dump.waitUntil(
    () =>
      dump.stdoutLines.length >= count
        ? dump.stdoutLines.slice(0, count).map((line) => JSON.parse(line) as Delivery)
        : undefined,
    timeoutMs,
    `${count} deliveries (have ${dump.stdoutLines.length})`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The host's kernel counters of one protocol (`Udp`, `Tcp`) from /proc/net/snmp of its namespace. */
export async function snmpCounters(
  lab: Lab,
  host: string,
  protocol: 'Udp' | 'Tcp',
): Promise<Record<string, number>> {
  const result = await lab.run(host, 'cat', ['/proc/net/snmp']);
  const [names, values] = result.stdout.split('\n').filter((line) => line.startsWith(`${protocol}:`));
  if (names === undefined || values === undefined)
    throw new Error(`no ${protocol} lines in /proc/net/snmp on ${host}`);
  const keys = names.split(/\s+/).slice(1);
  const numbers = values.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(keys.map((key, i) => [key, numbers[i] ?? 0]));
}
