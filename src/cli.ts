/**
 * `msInetDriver` flags (SPEC §2) → Config. The historical single-dash flags
 * work as written (`-lat 20` is `lat`, not `-l -a -t`), which yargs does only
 * with short-option groups turned off. `parseDriverArgs` is pure: it never
 * exits or prints; `main` does, and starts the driver.
 */
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import yargs from 'yargs';
import { DRIVER_USAGE_HINT, driverFlags, driverHelp } from './cli-flags.js';
import { helpWidth } from './model/help-text.js';
import {
  defaultLogFile,
  DEFAULT_LINGER_S,
  DEFAULT_MAX_CLIENTS,
  DEFAULTS,
  PROTOCOL_VERSION,
  VERSION,
  type Config,
  type LatePolicy,
  type LogLevel,
  type LogOwner,
  type WanHost,
} from './model/config.js';

export type ParsedArgs =
  | { kind: 'run'; config: Config; defaultLog: boolean }
  | { kind: 'version' }
  | { kind: 'help' }
  | { kind: 'error'; reason: string; usage: string };

/** Who runs this process, for the default log path. */
export function currentLogOwner(): LogOwner {
  return { uid: process.getuid?.(), stateHome: process.env['XDG_STATE_HOME'], home: homedir() };
}

function parser(argv: readonly string[], logOwner: LogOwner) {
  const base = yargs([...argv])
    .scriptName('msInetDriver')
    .parserConfiguration({ 'short-option-groups': false, 'camel-case-expansion': false })
    .version(false)
    .help(false)
    .exitProcess(false)
    .strict()
    .fail((message, error) => {
      throw error ?? new Error(message);
    });
  return driverFlags(logOwner).reduce(
    (y, flag) =>
      y.option(flag.key, {
        type: flag.type,
        ...(flag.type === 'array' ? { string: true } : {}),
        ...(flag.aliases ? { alias: flag.aliases } : {}),
      }),
    base,
  );
}

/** `-log` of `-log <file>`. */
function flagName(term: string): string {
  return term.split(/[ ,]/)[0] ?? term;
}

/** A whole number in [min, max] from a flag's text, or why not. */
function integer(flag: string, text: string | undefined, min: number, max: number): number | string {
  const expected = `a whole number ${min}–${max}`;
  if (text === undefined || text.trim() === '') return `${flag}: needs a value, ${expected}`;
  if (!/^\d+$/.test(text.trim())) return `${flag}: expected ${expected}, got '${text}'`;
  const value = Number(text);
  return value >= min && value <= max ? value : `${flag}: ${value} is out of range ${min}–${max}`;
}

/** A number of seconds in [0, max] from a flag's text (decimals allowed), or why not. */
function seconds(flag: string, text: string | undefined, max: number): number | string {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text.trim()))
    return `${flag}: expected seconds (a number ≥ 0), got '${text ?? ''}'`;
  const value = Number(text);
  return value <= max ? value : `${flag}: ${value} is more than ${max} s`;
}

function wanHost(text: string): WanHost | string {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!match?.[1]) return `-s: '${text}' is not a host or host:port`;
  if (match[2] === undefined) return { host: match[1] };
  const port = integer('-s', match[2], 1, 65535);
  return typeof port === 'string' ? port : { host: match[1], port };
}

export function parseDriverArgs(argv: readonly string[], logOwner: LogOwner = currentLogOwner()): ParsedArgs {
  const usage = DRIVER_USAGE_HINT;
  let raw: Record<string, unknown>;
  try {
    raw = parser(argv, logOwner).parseSync() as Record<string, unknown>;
  } catch (error) {
    return { kind: 'error', reason: (error as Error).message.split('\n')[0] ?? 'invalid arguments', usage };
  }
  if (raw['help']) return { kind: 'help' };
  if (raw['v']) return { kind: 'version' };
  if ((raw['_'] as unknown[]).length > 0) {
    return { kind: 'error', reason: `unexpected argument '${String((raw['_'] as unknown[])[0])}'`, usage };
  }

  // A flag that takes a value and was given none (`-log` last, or `-log ''`) is a mistake, not a default.
  for (const flag of driverFlags(logOwner)) {
    const value = raw[flag.key];
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    if (flag.type === 'string' && value !== undefined && values.some((v) => String(v).trim() === '')) {
      return { kind: 'error', reason: `${flagName(flag.term)}: needs a value (${flag.term})`, usage };
    }
  }

  const hostTexts = raw['s'] as string[] | undefined;
  const mode = hostTexts === undefined ? 'lan' : 'wan';
  const defaults = DEFAULTS[mode];
  const str = (key: string) => {
    const value = raw[key];
    return Array.isArray(value) ? String(value[value.length - 1]) : (value as string | undefined);
  };

  const port = raw['p'] === undefined ? defaults.port : integer('-p', str('p'), 1, 65535);
  const maxLatency = raw['lat'] === undefined ? defaults.maxLatency : integer('-lat', str('lat'), 0, 60_000);
  const grouping = raw['g'] === undefined ? defaults.grouping : integer('-g', str('g'), 1, 60_000);
  const maxClients = raw['m'] === undefined ? DEFAULT_MAX_CLIENTS : integer('-m', str('m'), 1, 10_000);
  const hosts = (hostTexts ?? []).map(wanHost);
  const late = str('late') ?? 'play';
  const linger = raw['linger'] === undefined ? DEFAULT_LINGER_S : seconds('--linger', str('linger'), 86_400);
  if (typeof linger === 'string') return { kind: 'error', reason: linger, usage };
  const http = raw['http'] === undefined ? undefined : integer('--http', str('http'), 1, 65535);
  const httpBind = str('http-bind');
  if (typeof http === 'string') return { kind: 'error', reason: http, usage };
  if (httpBind !== undefined && (http === undefined || isIP(httpBind) === 0)) {
    const why =
      http === undefined ? 'give --http <port> with it' : `expected an IP address, got '${httpBind}'`;
    return { kind: 'error', reason: `--http-bind: ${why}`, usage };
  }

  for (const value of [port, maxLatency, grouping, maxClients, ...hosts]) {
    if (typeof value === 'string') return { kind: 'error', reason: value, usage };
  }
  if (late !== 'play' && late !== 'drop') {
    return { kind: 'error', reason: `--late: expected 'play' or 'drop', got '${late}'`, usage };
  }
  if (raw['verbose'] && raw['quiet']) {
    return { kind: 'error', reason: '--verbose and --quiet exclude each other', usage };
  }
  const logLevel: LogLevel = raw['verbose'] ? 'debug' : raw['quiet'] ? 'warn' : 'info';
  const logFile = str('log');
  const pidFile = str('pidfile');

  return {
    kind: 'run',
    defaultLog: logFile === undefined,
    config: {
      mode,
      port: port as number,
      maxLatency: maxLatency as number,
      grouping: grouping as number,
      daemon: Boolean(raw['d']),
      logFile: logFile ?? defaultLogFile(logOwner),
      ...(pidFile !== undefined ? { pidFile } : {}),
      hosts: hosts as WanHost[],
      maxClients: maxClients as number,
      late: late as LatePolicy,
      lingerMs: linger * 1000,
      socket: str('socket'),
      ...(str('socket-group') === undefined ? {} : { socketGroup: str('socket-group') }),
      logLevel,
      interface: str('interface') ?? str('bind'),
      midi: Boolean(raw['midi']),
      midiIn: (raw['midi-in'] as string[] | undefined) ?? [],
      midiOut: (raw['midi-out'] as string[] | undefined) ?? [],
      inbound: (raw['inbound'] as string[] | undefined) ?? [],
      outbound: (raw['outbound'] as string[] | undefined) ?? [],
      ...(http === undefined ? {} : { http }),
      ...(httpBind === undefined ? {} : { httpBind }),
    },
  };
}

/** Flags → config → start: what `msInetDriver` does. Resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseDriverArgs(argv);
  switch (parsed.kind) {
    case 'error':
      process.stderr.write(`msInetDriver: ${parsed.reason}\n${parsed.usage}\n`);
      return 1;
    case 'help':
      process.stdout.write(driverHelp(currentLogOwner(), helpWidth(process.stdout)));
      return 0;
    case 'version':
      process.stdout.write(
        `msInetDriver (msinet) ${VERSION}, MidiShare Internet driver protocol v${PROTOCOL_VERSION}\n`,
      );
      return 0;
    case 'run': {
      // Loaded only to run: `-v`, `--help` and a wrong flag answer without reading the driver.
      const { start } = await import('./daemon.js');
      return start(parsed.config, argv, { defaultLog: parsed.defaultLog });
    }
  }
}
