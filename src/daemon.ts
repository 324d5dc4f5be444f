/**
 * The process around the driver (SPEC §9): in the foreground, or as a daemon
 * with `-d`, and the pid file either way.
 *
 * `-d`: Node cannot fork, so the parent starts the same program again,
 * detached, marked as the daemon, with an IPC channel, and waits. The daemon
 * says `ready` once it serves (its ports bound, its endpoint listening; the
 * pid file written), or passes on each error it logs before then. The parent
 * tells the truth: exit 0 and the daemon's pid, or the daemon's own reason and
 * exit 1 (a second daemon on the same port, an unwritable log, a live pid file).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from './model/config.js';
import { fail, ok, type Result } from './model/result.js';
import { runDriver, type RunHooks } from './run.js';
import { checkPidFile, removePidFile, writePidFile } from './sinks/pid-file.js';

/** Set in the daemon's environment, so it runs instead of detaching again. */
export const DAEMON_CHILD = 'MSINET_DAEMON_CHILD';
/** How long the parent waits for the daemon to serve: node start-up on a loaded machine, and more. */
export const READY_TIMEOUT_MS = 60_000;

/** What the daemon tells the parent that waits for it. */
type DaemonMessage = { kind: 'ready'; pid: number } | { kind: 'error'; message: string };

export interface StartOptions {
  /** The log path is the default one (its folder is made when missing). */
  defaultLog?: boolean;
}

/** Flags parsed: run in the foreground, detach, or (in the detached copy) run as the daemon. */
export function start(config: Config, argv: readonly string[], options: StartOptions = {}): Promise<number> {
  if (!config.daemon) return serve(config, report(false));
  if (process.env[DAEMON_CHILD] === undefined) return detach(config, argv, options);
  return serve(config, report(true));
}

interface Report {
  ready(): void;
  error(message: string): void;
  /** Resolves once every message has left: the process may exit then. */
  sent(): Promise<void>;
}

/** How the driver tells of its start: to the parent over IPC as a daemon, else only by its own log. */
function report(daemon: boolean): Report {
  let pending: Promise<void> = Promise.resolve();
  const send = (message: DaemonMessage): void => {
    if (!daemon || !process.connected) return;
    const sent = new Promise<void>((done) => process.send?.(message, undefined, {}, () => done()));
    pending = pending.then(() => sent);
  };
  return {
    ready() {
      send({ kind: 'ready', pid: process.pid });
      // Then let the parent go: from now on the daemon answers to no one.
      void pending.then(() => process.connected && process.disconnect());
    },
    error: (message) => send({ kind: 'error', message }),
    sent: () => pending,
  };
}

/** Runs the driver in this process, with the pid file when asked. */
async function serve(config: Config, told: Report): Promise<number> {
  const pidFile = config.pidFile;
  const claim = pidFile === undefined ? ok(undefined) : checkPidFile(pidFile);
  if (!claim.ok) {
    process.stderr.write(`msInetDriver: ${claim.reason}\n`);
    told.error(claim.reason);
    await told.sent();
    return 1;
  }
  const hooks: RunHooks = {
    error: (message) => told.error(message),
    serving: (logger) => {
      if (pidFile !== undefined) {
        const written = writePidFile(pidFile, process.pid);
        if (!written.ok) {
          logger.error(written.reason);
          return false;
        }
        process.once('exit', () => removePidFile(pidFile, process.pid));
        const stale = claim.value?.kind === 'stale' ? claim.value.pid : undefined;
        logger.info(
          `pid file: ${pidFile}` +
            (stale !== undefined ? ` (replaces a stale one: pid ${stale} is gone)` : ''),
        );
      }
      told.ready();
      return true;
    },
  };
  const code = await runDriver(config, hooks);
  await told.sent();
  return code;
}

/** Whether the log file can be appended to, or why not, with what to do about it. */
export function checkLogFile(file: string, makeFolder: boolean): Result<void> {
  try {
    if (makeFolder) mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
    return ok(undefined);
  } catch (error) {
    return fail(`cannot write the log file: ${(error as Error).message}; give another with -log <file>`);
  }
}

/** The parent's side of `-d`: start the daemon, wait until it serves or fails, say which. */
async function detach(config: Config, argv: readonly string[], options: StartOptions): Promise<number> {
  const refusal = (reason: string): number => {
    process.stderr.write(`msInetDriver: ${reason}\n`);
    return 1;
  };
  const log = checkLogFile(config.logFile, options.defaultLog ?? false);
  if (!log.ok) return refusal(log.reason);
  if (config.pidFile !== undefined) {
    const claim = checkPidFile(config.pidFile);
    if (!claim.ok) return refusal(claim.reason);
  }

  const entry = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, entry, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });

  return new Promise<number>((resolve) => {
    const errors: string[] = [];
    let settled = false;
    const settle = (code: number, lines: readonly string[], stream: NodeJS.WritableStream): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const line of lines) stream.write(`msInetDriver: ${line}\n`);
      child.removeAllListeners();
      child.unref();
      if (child.connected) child.disconnect();
      resolve(code);
    };
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      settle(
        1,
        [
          ...errors,
          `the daemon did not say it serves within ${READY_TIMEOUT_MS / 1000} s; stopped it (log: ${config.logFile})`,
        ],
        process.stderr,
      );
    }, READY_TIMEOUT_MS);
    child.on('message', (message: DaemonMessage) => {
      if (message.kind === 'error') errors.push(message.message);
      else {
        const pidFile = config.pidFile === undefined ? '' : `, pid file: ${config.pidFile}`;
        settle(
          0,
          [`running as a daemon (pid ${message.pid}), log: ${config.logFile}${pidFile}`],
          process.stdout,
        );
      }
    });
    // 'close', not 'exit': it comes after the last message the daemon sent.
    child.on('close', (code, signal) => {
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      settle(
        1,
        errors.length > 0 ? errors : [`the daemon ended (${how}) before it served; see ${config.logFile}`],
        process.stderr,
      );
    });
    child.on('error', (error) => settle(1, [`cannot start the daemon: ${error.message}`], process.stderr));
  });
}
