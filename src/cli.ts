/**
 * `msInetDriver` flags (SPEC §2) → Config. The historical single-dash flags
 * work as written (`-lat 20` is `lat`, not `-l -a -t`), which yargs does only
 * with short-option groups turned off. `parseDriverArgs` is pure: it never
 * exits or prints; `main` does, and starts the driver.
 */
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import yargs from 'yargs';
import { start } from './daemon.js';
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
  | { kind: 'help'; text: string }
  | { kind: 'error'; reason: string; usage: string };

const USAGE =
  'usage: msInetDriver [-p port] [-lat ms] [-g ms] [-d] [-log file] [--pidfile file] [-s [host[:port] ...]] [-m n] [-v]\n' +
  '                    [--socket path] [--socket-group group] [--late play|drop] [--linger s] [--interface name|address] [--verbose | --quiet]\n' +
  '                    [--midi] [--midi-in name] [--midi-out name] [--inbound module] [--outbound module]\n' +
  '                    [--http port] [--http-bind address]';

/** Who runs this process, for the default log path. */
export function currentLogOwner(): LogOwner {
  return { uid: process.getuid?.(), stateHome: process.env['XDG_STATE_HOME'], home: homedir() };
}

function parser(argv: readonly string[], logOwner: LogOwner) {
  return yargs([...argv])
    .scriptName('msInetDriver')
    .usage(USAGE)
    .parserConfiguration({ 'short-option-groups': false, 'camel-case-expansion': false })
    .version(false)
    .help(false)
    .exitProcess(false)
    .strict()
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .option('p', { type: 'string', describe: 'UDP port (WAN: TCP too). LAN 4950, WAN 4951' })
    .option('lat', { type: 'string', describe: 'maximum latency allowed, ms. LAN 10, WAN 1500' })
    .option('g', { type: 'string', describe: 'grouping period, ms. LAN 10, WAN 200' })
    .option('d', { type: 'boolean', describe: 'run as a daemon' })
    .option('log', { type: 'string', describe: `daemon log file (${defaultLogFile(logOwner)})` })
    .option('pidfile', { type: 'string', describe: 'write the running driver’s pid to this file' })
    .option('s', { type: 'array', string: true, describe: 'WAN mode: connect to each host listed' })
    .option('m', {
      type: 'string',
      describe: `WAN: maximum accepted remote clients (${DEFAULT_MAX_CLIENTS})`,
    })
    .option('v', { type: 'boolean', describe: 'print the version and exit' })
    .option('help', { type: 'boolean', describe: 'show this help' })
    .option('socket', { type: 'string', describe: 'local endpoint (Unix socket) path' })
    .option('late', { type: 'string', describe: 'late packets: play at once, or drop' })
    .option('socket-group', {
      type: 'string',
      describe: "let this group's members use the local endpoint too (mode 0660; default the owner only)",
    })
    .option('linger', {
      type: 'string',
      describe: `LAN: stay awake this many seconds after the last local client closes (${DEFAULT_LINGER_S})`,
    })
    .option('interface', { type: 'string', describe: 'use only this interface (name or IPv4 address)' })
    .option('bind', { type: 'string', describe: 'same as --interface with an address' })
    .option('verbose', { type: 'boolean', describe: 'log debug messages' })
    .option('quiet', { type: 'boolean', describe: 'log warnings and errors only' })
    .option('midi', {
      type: 'boolean',
      describe: "virtual MIDI ports: 'msinet (all)', and 'msinet <station>' for each station",
    })
    .option('midi-in', {
      type: 'array',
      string: true,
      describe: 'bridge the MIDI input port whose name contains this (to every station)',
    })
    .option('midi-out', {
      type: 'array',
      string: true,
      describe: 'bridge the MIDI output port whose name contains this (from every station)',
    })
    .option('inbound', {
      type: 'array',
      string: true,
      describe: 'a module whose default export operates on events in',
    })
    .option('outbound', {
      type: 'array',
      string: true,
      describe: 'a module whose default export operates on events out',
    })
    .option('http', { type: 'string', describe: 'serve the status page and a WebSocket on this port' })
    .option('http-bind', {
      type: 'string',
      describe: 'address for --http (default 127.0.0.1; needs a token)',
    });
}

/** A whole number in [min, max] from a flag's text, or why not. */
function integer(flag: string, text: string | undefined, min: number, max: number): number | string {
  if (text === undefined || !/^\d+$/.test(text.trim()))
    return `${flag}: expected a whole number ≥ 0, got '${text ?? ''}'`;
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
  const usage = USAGE;
  let raw: Record<string, unknown>;
  try {
    raw = parser(argv, logOwner).parseSync() as Record<string, unknown>;
  } catch (error) {
    return { kind: 'error', reason: (error as Error).message.split('\n')[0] ?? 'invalid arguments', usage };
  }
  if (raw['help']) return { kind: 'help', text: `${USAGE}\n` };
  if (raw['v']) return { kind: 'version' };
  if ((raw['_'] as unknown[]).length > 0) {
    return { kind: 'error', reason: `unexpected argument '${String((raw['_'] as unknown[])[0])}'`, usage };
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
  for (const [flag, value] of [
    ['-log', logFile],
    ['--pidfile', pidFile],
  ] as const) {
    if (value !== undefined && value.trim() === '')
      return { kind: 'error', reason: `${flag}: expected a file`, usage };
  }

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
      process.stdout.write(parsed.text);
      return 0;
    case 'version':
      process.stdout.write(
        `msInetDriver (msinet) ${VERSION}, MidiShare Internet driver protocol v${PROTOCOL_VERSION}\n`,
      );
      return 0;
    case 'run':
      return start(parsed.config, argv, { defaultLog: parsed.defaultLog });
  }
}
