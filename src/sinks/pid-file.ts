/**
 * The pid file (`--pidfile`, SPEC §9): names the running driver, so that
 * `kill $(cat file)` stops it. A file left by a driver that died is stale:
 * recognised and replaced. One that names a running msInetDriver refuses a
 * second one. The file is written once the driver serves, in one step (a
 * temporary file renamed), and removed when it ends.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fail, ok, type Result } from '../model/result.js';

/** What a pid file says now. */
export type PidFileState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'stale'; readonly pid: number | undefined }
  | { readonly kind: 'live'; readonly pid: number };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a live process is an msInetDriver, where /proc tells; true where it cannot be known. */
function isDriver(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('msInetDriver');
  } catch {
    return true;
  }
}

export function readPidFile(path: string): PidFileState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? { kind: 'absent' }
      : { kind: 'stale', pid: undefined };
  }
  const pid = /^\s*(\d+)\s*$/.test(text) ? Number(text) : undefined;
  if (pid === undefined || pid === 0) return { kind: 'stale', pid: undefined };
  // A pid reused by another program since the driver died makes the file stale too.
  return pid !== process.pid && alive(pid) && isDriver(pid) ? { kind: 'live', pid } : { kind: 'stale', pid };
}

/** Ok when this driver may take the pid file (absent or stale), else why not. */
export function checkPidFile(path: string): Result<PidFileState> {
  const state = readPidFile(path);
  if (state.kind === 'live') {
    return fail(
      `the pid file ${path} names pid ${state.pid}, an msInetDriver that is running: ` +
        `stop it first (kill ${state.pid}) or give another --pidfile`,
    );
  }
  return ok(state);
}

/** Writes `pid` to `path` in one step, so that a reader never sees half a file. */
export function writePidFile(path: string, pid: number): Result<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${pid}.tmp`);
  try {
    writeFileSync(temporary, `${pid}\n`, { mode: 0o644 });
    renameSync(temporary, path);
    return ok(undefined);
  } catch (error) {
    rmSync(temporary, { force: true });
    return fail(`cannot write the pid file ${path}: ${(error as Error).message}`);
  }
}

/** Removes the file if it still names `pid` (another driver may have taken it since). */
export function removePidFile(path: string, pid: number): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(pid)) rmSync(path, { force: true });
  } catch {
    // Gone already.
  }
}
