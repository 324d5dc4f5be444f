/**
 * A child process seen as lines: what it printed so far, promises that wait
 * for a line (or any condition over the lines), stdin lines, and a kill that
 * takes its whole process group down.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type OutputStream = 'stdout' | 'stderr';

export interface LineMatch {
  line: string;
  /** Position of the line in `stdoutLines` / `stderrLines`. */
  index: number;
  match: RegExpExecArray;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How many lines of output a timeout error quotes, so a failing test says what the process did. */
const TAIL_LINES = 15;

export class LineProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** Settles when the process has exited and its output has been read to the end. */
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly stdoutHandlers: ((line: string) => void)[] = [];

  /** `child` must have been spawned with `detached: true` (its own process group) and piped stdio. */
  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    const outDone = this.collect(child, 'stdout');
    const errDone = this.collect(child, 'stderr');
    const closed = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      // A spawn failure (missing binary) emits 'error' and maybe no 'close'.
      child.once('error', (err) => {
        this.stderrLines.push(`spawn error: ${err.message}`);
        resolve({ code: null, signal: null });
      });
    });
    child.stdin?.on('error', () => undefined); // writing to a process that just died is not the test's failure
    this.exited = Promise.all([closed, outDone, errDone]).then(([exit]) => {
      this.exit = exit;
      this.notify();
      return exit;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Calls `handler` with each stdout line from now on, as it is read (no second reading of the stream). */
  onStdoutLine(handler: (line: string) => void): void {
    this.stdoutHandlers.push(handler);
  }

  writeLine(line: string): void {
    if (!this.child.stdin || this.child.stdin.destroyed) throw new Error(`${this.label}: stdin is closed`);
    this.child.stdin.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  /**
   * The first line of `stream` (stdout by default) at or after `from` that
   * matches `pattern`, whether it was printed already or comes later.
   */
  waitForLine(
    pattern: RegExp,
    timeoutMs: number,
    options: { stream?: OutputStream; from?: number } = {},
  ): Promise<LineMatch> {
    const lines = options.stream === 'stderr' ? this.stderrLines : this.stdoutLines;
    let next = options.from ?? 0;
    return this.waitUntil(
      () => {
        for (; next < lines.length; next++) {
          const line = lines[next] as string;
          pattern.lastIndex = 0;
          const match = pattern.exec(line);
          if (match) return { line, index: next, match };
        }
        return undefined;
      },
      timeoutMs,
      `a line matching ${String(pattern)}`,
    );
  }

  /**
   * Resolves with the first defined value of `probe`, which is called now and
   * after every new output line; rejects on timeout or when the process exits
   * first, quoting the end of its output.
   */
  waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (err: Error | undefined, value?: T): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve(value as T);
      };
      const check = (): void => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (value !== undefined) finish(undefined, value);
        else if (this.exit) finish(this.failure(`exited (${describeExit(this.exit)}) before ${what}`));
      };
      const timer = setTimeout(() => finish(this.failure(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Signals the process group, then SIGKILL after `graceMs`; resolves when it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.signalGroup(signal);
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of both streams, for error messages. */
  tail(): string {
    const out = this.stdoutLines.slice(-TAIL_LINES).map((l) => `  out| ${l}`);
    const err = this.stderrLines.slice(-TAIL_LINES).map((l) => `  err| ${l}`);
    return [...out, ...err].join('\n');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  private collect(child: ChildProcess, stream: OutputStream): Promise<void> {
    const source = child[stream];
    if (!source) return Promise.resolve();
    const lines = stream === 'stdout' ? this.stdoutLines : this.stderrLines;
    const reader = createInterface({ input: source, crlfDelay: Infinity });
    const handlers = stream === 'stdout' ? this.stdoutHandlers : [];
    reader.on('line', (line) => {
      lines.push(line);
      for (const handler of handlers) handler(line);
      this.notify();
    });
    return new Promise((resolve) => reader.once('close', () => resolve()));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private failure(message: string): Error {
    return new Error(`${this.label}: ${message}\n${this.tail()}`);
  }
}

function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}
