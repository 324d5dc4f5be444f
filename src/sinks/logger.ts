/**
 * The driver's messages (SPEC §9): one line each with date and text, in the
 * original's form `[24/11/2026 13:27:23] hostA : connection complete`.
 * Foreground: stderr. Daemon: appended to a file that SIGHUP reopens (so
 * logrotate can move it away).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { ReplaySubject, type Observable } from 'rxjs';
import winston from 'winston';
import type { LogLevel } from '../model/config.js';

export type Logger = Pick<winston.Logger, 'error' | 'warn' | 'info' | 'debug'>;

const pad = (n: number) => String(n).padStart(2, '0');

export function stamp(date: Date): string {
  return (
    `[${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}]`
  );
}

const lineFormat = winston.format.printf(({ level, message }) => {
  const tag = level === 'info' ? '' : `${level}: `;
  return `${stamp(new Date())} ${tag}${String(message)}`;
});

/** One line the driver logged, as it was written (`stamp`, then the text). */
export interface LogLine {
  level: LogLevel;
  line: string;
}

/** How many of the last lines `lines$` replays to a new subscriber (a page's log tail). */
export const LOG_TAIL_LINES = 200;

export interface DriverLogger extends Logger {
  /** Reopen the log file (SIGHUP); nothing for stderr. */
  reopen(): void;
  close(): Promise<void>;
  /**
   * Every line the logger writes (those its level lets through), the last
   * LOG_TAIL_LINES first: what the local endpoint's `logs` op pushes. Hot;
   * completes on `close()`.
   */
  readonly lines$: Observable<LogLine>;
}

export interface DriverLoggerOptions {
  level: LogLevel;
  /** Append to this file; stderr when absent. */
  file?: string;
  /** Also told each error line (the daemon passes them to the parent that waits for it). */
  onError?: (message: string) => void;
}

export function createDriverLogger(options: DriverLoggerOptions): DriverLogger {
  const { file } = options;
  let stream: WriteStream | undefined;
  const transport = (): winston.transport => {
    if (file === undefined)
      return new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] });
    stream = createWriteStream(file, { flags: 'a' });
    return new winston.transports.Stream({ stream });
  };
  let current = transport();
  const lines = new ReplaySubject<LogLine>(LOG_TAIL_LINES);
  // An object-mode stream gets each record whole: its level, and the line as formatted.
  const tail = new Writable({
    objectMode: true,
    write(info: Record<string | symbol, unknown>, _encoding, done) {
      lines.next({ level: info['level'] as LogLevel, line: String(info[Symbol.for('message')]) });
      done();
    },
  });
  const logger = winston.createLogger({
    level: options.level,
    format: lineFormat,
    transports: [current, new winston.transports.Stream({ stream: tail })],
  });

  const error = logger.error.bind(logger);
  const onError = options.onError;
  return {
    error: onError
      ? (((message: unknown, ...rest: unknown[]) => {
          onError(String(message));
          return (error as (...args: unknown[]) => winston.Logger)(message, ...rest);
        }) as winston.LeveledLogMethod)
      : error,
    warn: logger.warn.bind(logger),
    info: logger.info.bind(logger),
    debug: logger.debug.bind(logger),
    reopen() {
      if (file === undefined) return;
      const old = stream;
      logger.remove(current);
      current = transport();
      logger.add(current);
      old?.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        lines.complete();
        if (stream === undefined) return resolve();
        stream.end(() => resolve());
      }),
    lines$: lines.asObservable(),
  };
}

/** A logger that says nothing: for tests and library use. */
export const silentLogger: Logger = {
  error: () => silentLogger as never,
  warn: () => silentLogger as never,
  info: () => silentLogger as never,
  debug: () => silentLogger as never,
};
