/**
 * The driver's configuration: what the command line (SPEC §2) says, with the
 * defaults of the mode filled in. Parsing lives in cli.ts; this file only
 * says what a complete configuration is.
 */

export type Mode = 'lan' | 'wan';
export type LatePolicy = 'play' | 'drop';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface WanHost {
  host: string;
  port?: number;
}

export interface Config {
  mode: Mode;
  /** UDP port; in WAN mode TCP uses the same number. */
  port: number;
  /** Maximum latency allowed (jitter budget), ms. */
  maxLatency: number;
  /** Grouping period, ms. */
  grouping: number;
  daemon: boolean;
  logFile: string;
  /** `--pidfile`: where the running driver writes its pid (SPEC §9); undefined: none. */
  pidFile?: string;
  /** WAN: hosts to connect to at start (empty: server only). */
  hosts: WanHost[];
  /** WAN: maximum number of accepted remote clients. */
  maxClients: number;
  late: LatePolicy;
  /** `--linger`: stay awake this long after the last local client closes (LAN), ms; default 0. */
  lingerMs?: number;
  /** `--socket-group`: a group (name or id) whose members may use the local endpoint too. */
  socketGroup?: string;
  /** Local endpoint (Unix socket); undefined: the default path for the port. */
  socket: string | undefined;
  logLevel: LogLevel;
  /** Interface name or address to restrict the network to; undefined: every IPv4 interface. */
  interface: string | undefined;
  /** Expose each remote as virtual MIDI ports (SPEC §8). */
  midi: boolean;
  midiIn: string[];
  midiOut: string[];
  /** Modules whose default export is an operator on events from remotes (docs/operators.md). */
  inbound: string[];
  /** The same, on events to remotes. */
  outbound: string[];
  /** Serve the status page and the WebSocket endpoint on this TCP port (SPEC §12); undefined: no web. */
  http?: number;
  /** Address for `http` (default 127.0.0.1); when given, a token printed at start is needed. */
  httpBind?: string;
}

export const VERSION = '0.1.0';
/** The original's version this driver speaks for. */
export const PROTOCOL_VERSION = 1;

export const DEFAULTS: Record<Mode, { port: number; maxLatency: number; grouping: number }> = {
  lan: { port: 4950, maxLatency: 10, grouping: 10 },
  wan: { port: 4951, maxLatency: 1500, grouping: 200 },
};
export const DEFAULT_MAX_CLIENTS = 32;
/**
 * `--linger` (s): long enough for a person at a shell to send a note with one command and end it
 * with the next, or for a script's pauses, without the station flapping (Bye, then a woken
 * driver's second of discovery); short enough that a forgotten station goes quiet soon.
 * Awake and idle it costs 10 HostIDs a second.
 */
export const DEFAULT_LINGER_S = 30;
export const DEFAULT_LOG_FILE = '/var/log/msInetDriver.log';

/** Who runs the driver, for the default log path. */
export interface LogOwner {
  /** The user id; undefined where there is none (Windows). */
  uid: number | undefined;
  /** $XDG_STATE_HOME, when set. */
  stateHome?: string | undefined;
  home: string;
}

/**
 * The daemon's log when `-log` is not given (docs/decisions.md): root keeps
 * the original's /var/log/msInetDriver.log; any other user, who cannot write
 * there, gets the XDG state directory, $XDG_STATE_HOME/msinet or
 * ~/.local/state/msinet.
 */
export function defaultLogFile(owner: LogOwner): string {
  if (owner.uid === 0 || owner.uid === undefined) return DEFAULT_LOG_FILE;
  const state = owner.stateHome?.startsWith('/') ? owner.stateHome : `${owner.home}/.local/state`;
  return `${state}/msinet/msInetDriver.log`;
}

/** The driver's own client name: `msLANDriver` / `msWANDriver`, `:PORT` when not the default. */
export function driverClientName(mode: Mode, port: number): string {
  const base = mode === 'lan' ? 'msLANDriver' : 'msWANDriver';
  return port === DEFAULTS[mode].port ? base : `${base}:${port}`;
}
