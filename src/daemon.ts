/**
 * `-d` (SPEC §9): the driver goes on as a detached copy of itself with no
 * terminal, its messages appended to the `-log` file. Node cannot fork, so
 * the parent starts the same program again, marked as the daemon, and exits.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Config } from './model/config.js';

/** Set in the daemon's environment, so it runs instead of detaching again. */
export const DAEMON_CHILD = 'MSINET_DAEMON_CHILD';

export function detach(config: Config, argv: readonly string[]): number {
  try {
    closeSync(openSync(config.logFile, 'a'));
  } catch (error) {
    process.stderr.write(`msInetDriver: cannot write the log file: ${(error as Error).message}\n`);
    return 1;
  }
  const entry = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, entry, ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });
  child.unref();
  process.stdout.write(
    `msInetDriver: running as a daemon (pid ${child.pid ?? '?'}), log: ${config.logFile}\n`,
  );
  return 0;
}
