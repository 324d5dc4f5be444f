/**
 * Every flag of `msInetDriver`, once: how it is written (the original's
 * single-dash forms `-lat`, `-log`… first), what it means and what holds
 * without it. cli.ts parses with this table and `--help` prints it, so the
 * help cannot leave a flag out or tell another default than the parser's.
 */
import {
  DEFAULT_LINGER_S,
  DEFAULT_MAX_CLIENTS,
  DEFAULTS,
  defaultLogFile,
  type LogOwner,
} from './model/config.js';
import { formatHelp, type HelpBlock } from './model/help-text.js';
import { defaultSocketPath } from './sources/socket-path.js';

export interface DriverFlag {
  /** The parser's name for it: the flag without its dashes. */
  key: string;
  /** Other names (without dashes). */
  aliases?: string[];
  type: 'string' | 'boolean' | 'array';
  /** As `--help` shows it. */
  term: string;
  /** One line: what it does, and its default. */
  meaning: string;
}

const { lan, wan } = DEFAULTS;

export function driverFlags(logOwner: LogOwner): DriverFlag[] {
  return [
    {
      key: 'p',
      type: 'string',
      term: '-p <port>',
      meaning: `UDP port the stations share; in WAN mode the TCP port too (default: ${lan.port}, WAN ${wan.port})`,
    },
    {
      key: 'lat',
      type: 'string',
      term: '-lat <ms>',
      meaning: `maximum latency allowed: events play this long after -g, the network's jitter removed (default: ${lan.maxLatency}, WAN ${wan.maxLatency})`,
    },
    {
      key: 'g',
      type: 'string',
      term: '-g <ms>',
      meaning: `grouping period: events are collected this long, then sent in one packet (default: ${lan.grouping}, WAN ${wan.grouping})`,
    },
    {
      key: 's',
      type: 'array',
      term: '-s [host[:port] ...]',
      meaning: 'WAN mode (TCP + UDP over the Internet), connecting to each host listed (default: LAN mode)',
    },
    {
      key: 'm',
      type: 'string',
      term: '-m <n>',
      meaning: `WAN: the most remote stations that may connect to this one (default: ${DEFAULT_MAX_CLIENTS})`,
    },
    {
      key: 'd',
      type: 'boolean',
      term: '-d',
      meaning:
        'run as a daemon, logging to the -log file; returns once the daemon serves (default: foreground)',
    },
    {
      key: 'log',
      type: 'string',
      term: '-log <file>',
      meaning: `the daemon's log file; SIGHUP reopens it (default: ${defaultLogFile(logOwner)})`,
    },
    {
      key: 'pidfile',
      type: 'string',
      term: '--pidfile <file>',
      meaning: "write the running driver's pid to this file; a stale one is replaced (default: none)",
    },
    {
      key: 'socket',
      type: 'string',
      term: '--socket <path>',
      meaning: `the local endpoint (Unix socket) that msinet and other local clients open (default: ${defaultSocketPath('<port>')})`,
    },
    {
      key: 'socket-group',
      type: 'string',
      term: '--socket-group <group>',
      meaning:
        "let this group's members open the local endpoint too, mode 0660 (default: the driver's user only)",
    },
    {
      key: 'linger',
      type: 'string',
      term: '--linger <s>',
      meaning: `LAN: stay awake this many seconds after the last local client closes, then say Bye and sleep (default: ${DEFAULT_LINGER_S})`,
    },
    {
      key: 'late',
      type: 'string',
      term: '--late play|drop',
      meaning: 'a packet later than -lat: play its events at once, or drop them (default: play)',
    },
    {
      key: 'interface',
      type: 'string',
      term: '--interface <name|address>',
      meaning: 'use only this network interface (default: every IPv4 interface with a broadcast address)',
    },
    {
      key: 'bind',
      type: 'string',
      term: '--bind <address>',
      meaning: 'the same as --interface <address> (default: every interface)',
    },
    {
      key: 'verbose',
      type: 'boolean',
      term: '--verbose',
      meaning: 'log debug messages too (default: off; information, warnings and errors are logged)',
    },
    {
      key: 'quiet',
      type: 'boolean',
      term: '--quiet',
      meaning: 'log warnings and errors only (default: off)',
    },
    {
      key: 'midi',
      type: 'boolean',
      term: '--midi',
      meaning: "virtual MIDI ports: 'msinet (all)', and 'msinet <station>' for each station (default: none)",
    },
    {
      key: 'midi-in',
      type: 'array',
      term: '--midi-in <name>',
      meaning:
        'send what the MIDI input port whose name contains <name> plays to every station; repeatable (default: none)',
    },
    {
      key: 'midi-out',
      type: 'array',
      term: '--midi-out <name>',
      meaning:
        'play what the stations send on the MIDI output port whose name contains <name>; repeatable (default: none)',
    },
    {
      key: 'inbound',
      type: 'array',
      term: '--inbound <module>',
      meaning:
        "apply this .js or .ts module's default export, an rxjs operator, to events from remotes; repeatable (default: none)",
    },
    {
      key: 'outbound',
      type: 'array',
      term: '--outbound <module>',
      meaning: "apply this module's operator to events sent to remotes; repeatable (default: none)",
    },
    {
      key: 'http',
      type: 'string',
      term: '--http <port>',
      meaning: 'serve the status page and a WebSocket endpoint on this TCP port (default: off)',
    },
    {
      key: 'http-bind',
      type: 'string',
      term: '--http-bind <address>',
      meaning:
        'listen for --http on this address; a token, printed at start, is then needed (default: 127.0.0.1, no token)',
    },
    {
      key: 'v',
      aliases: ['version'],
      type: 'boolean',
      term: '-v, --version',
      meaning: 'print the version and exit',
    },
    {
      key: 'help',
      aliases: ['h'],
      type: 'boolean',
      term: '-h, --help',
      meaning: 'print this help and exit',
    },
  ];
}

/** The original's synopsis, then msinet's own flags. */
export const DRIVER_SYNOPSIS = [
  '[-p port]',
  '[-lat ms]',
  '[-g ms]',
  '[-d]',
  '[-log file]',
  '[-s [host[:port] ...]]',
  '[-m n]',
  '[-v]',
  '[--pidfile file]',
  '[--socket path]',
  '[--socket-group group]',
  '[--linger s]',
  '[--late play|drop]',
  '[--interface name|address]',
  '[--verbose | --quiet]',
  '[--midi]',
  '[--midi-in name]',
  '[--midi-out name]',
  '[--inbound module]',
  '[--outbound module]',
  '[--http port]',
  '[--http-bind address]',
];

/** What a usage error ends with: where to read more. */
export const DRIVER_USAGE_HINT = 'usage: msInetDriver [flag ...]   (msInetDriver --help lists the flags)';

export function driverHelp(logOwner: LogOwner, width: number): string {
  const blocks: HelpBlock[] = [
    { kind: 'usage', command: 'msInetDriver', items: DRIVER_SYNOPSIS },
    {
      kind: 'paragraph',
      text:
        'The MidiShare Internet driver: time-stamped MIDI events between machines, on a LAN over UDP ' +
        'with a small constant delay (-g + -lat), or over the Internet (WAN, -s) over TCP and UDP. ' +
        'It sleeps, invisible to other stations, until a local client (msinet send or dump, a MIDI port, ' +
        'the status page) opens.',
    },
    {
      kind: 'rows',
      title: "Flags (the one-letter and the original's flags also take two dashes: --lat 20):",
      rows: driverFlags(logOwner).map((flag) => ({ term: flag.term, text: flag.meaning })),
    },
    {
      kind: 'paragraph',
      text: "In the foreground, 'q' quits; SIGINT and SIGTERM too. man msInetDriver says more.",
    },
  ];
  return formatHelp(blocks, width);
}
