/**
 * The programs as users run them: `node dist/bin/*.js`, compiled by
 * `npm run build` (CI's `npm ci` builds them too, through `prepare`).
 * `assertBuilt` fails a test at once, saying so, when dist/ is missing or
 * older than src/, instead of testing yesterday's code.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineProcess } from './line-process.js';
import { REPO_ROOT } from './paths.js';

export const BUILT_DRIVER = join(REPO_ROOT, 'dist/bin/msInetDriver.js');
export const BUILT_MSINET = join(REPO_ROOT, 'dist/bin/msinet.js');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Throws unless every file of src/ has its compiled file in dist/, no older than it. */
export function assertBuilt(): void {
  const src = join(REPO_ROOT, 'src');
  for (const file of sources(src)) {
    const built = join(REPO_ROOT, 'dist', relative(src, file).replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) {
      throw new Error(`${relative(REPO_ROOT, built)} is missing or older than its source: run npm run build`);
    }
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test process's environment minus node:test's marker, which would make a child act as a test file. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Starts a built program as a LineProcess. */
export function startBuilt(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string>; command?: readonly string[] } = {},
): LineProcess {
  // `command`: what runs `file` (default node); [] runs `file` itself, as a shell would.
  const [cmd, ...rest] = [...(options.command ?? [process.execPath]), file, ...args] as [string, ...string[]];
  const child = spawn(cmd, rest, {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    detached: true,
    env: childEnv(options.env),
  });
  return new LineProcess(child, `${file} ${args.join(' ')}`);
}

/** Runs a built program to its end; killed after `timeoutMs` so that a hang fails instead of stalling. */
export async function runBuilt(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string>; command?: readonly string[]; timeoutMs?: number } = {},
): Promise<Finished> {
  const proc = startBuilt(file, args, options);
  proc.closeStdin();
  const timer = setTimeout(() => void proc.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  const text = (lines: readonly string[]) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return { code, stdout: text(proc.stdoutLines), stderr: text(proc.stderrLines) };
}
