/**
 * The two programs as child processes on this machine's own network: the
 * driver and `msinet`, each seen as lines (LineProcess), each in its own
 * process group so a kill takes node and tsx down together. Ports come from
 * the OS (free for both UDP and TCP) so parallel test files never collide.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT, tsNodeArgs } from '../harness/paths.js';

export const DRIVER_BIN = 'src/bin/msInetDriver.ts';
export const MSINET_BIN = 'src/bin/msinet.ts';

/** Node + tsx start-up on a loaded 2-core machine, with room to spare. */
export const START_TIMEOUT_MS = 20_000;

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<LineProcess>();

/** The test process's environment minus node:test's marker, which would make a child act as a test file. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Starts a TypeScript program of this repository; `stopAll` kills it if the test has not. */
export function startProgram(file: string, args: readonly string[], label = file): LineProcess {
  const child = spawn(process.execPath, tsNodeArgs(file, args), {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    detached: true,
    env: childEnv(),
  });
  const proc = new LineProcess(child, label);
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Runs a program to its end with `input` on stdin; killed after `timeoutMs` so a hang fails instead of stalling. */
export async function runProgram(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  const proc = startProgram(file, args);
  proc.child.stdin?.end(options.input ?? '');
  const timer = setTimeout(() => void proc.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: joined(proc.stdoutLines), stderr: joined(proc.stderrLines) };
}

function joined(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export const msinet = (args: readonly string[], options?: { input?: string; timeoutMs?: number }) =>
  runProgram(MSINET_BIN, args, options);

/** Kills every program these helpers started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL', 500)));
}

/** A driver in the foreground, once it says where its local endpoint listens (stderr). */
export async function startDriver(
  port: number,
  socket: string,
  extra: readonly string[] = [],
): Promise<LineProcess> {
  // --linger 0: these tests watch the sleeping rule itself (a later --linger in `extra` wins).
  const driver = startProgram(
    DRIVER_BIN,
    ['-p', String(port), '--socket', socket, '--linger', '0', ...extra],
    `driver:${port}`,
  );
  await driver.waitForLine(/local clients: /, START_TIMEOUT_MS, { stream: 'stderr' });
  return driver;
}

/** A port no one uses now, for UDP and TCP alike (the driver takes both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const udp = createSocket('udp4');
      udp.once('error', reject);
      udp.bind(0, () => {
        const { port } = udp.address();
        udp.close(() => resolve(port));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
  throw new Error('freePort: no port free for both UDP and TCP after 20 tries');
}

/** Resolves once `check` holds, polling every `everyMs`; rejects after `timeoutMs` naming `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
