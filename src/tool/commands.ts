/**
 * Every command and flag of `msinet`, once: how it is written, what it means
 * and what holds without it. args.ts parses with this table and `--help`
 * prints it, so the help cannot leave a flag out or tell another default than
 * the parser's.
 */
import { formatHelp, type HelpBlock, type HelpRow } from '../model/help-text.js';

export const DEFAULT_PORT = 4950;
export const SEND_CLIENT_NAME = 'msinet-send';
export const DUMP_CLIENT_NAME = 'msinet-dump';

export interface ToolFlag {
  /** The parser's name for it: the flag without its dashes. */
  key: string;
  aliases?: string[];
  type: 'string' | 'boolean';
  /** As `--help` shows it. */
  term: string;
  /** One line: what it does, and its default. */
  meaning: string;
  /** Must be given. */
  required?: boolean;
  /** The parser's default value (also written into `meaning`). */
  default?: string;
}

export interface ToolCommand {
  name: 'clients' | 'connect' | 'disconnect' | 'send' | 'dump' | 'status' | 'ports';
  /** Its words after the name: positionals as yargs reads them (`<src> <dst>`, `[events..]`). */
  positionals: string;
  /** Its usage, after `msinet `. */
  usage: string;
  meaning: string;
  /** More, for its own help page (`msinet send --help`). */
  more?: string;
  flags: ToolFlag[];
}

const json = (meaning: string): ToolFlag => ({ key: 'json', type: 'boolean', term: '--json', meaning });

export const TOOL_COMMANDS: readonly ToolCommand[] = [
  {
    name: 'clients',
    positionals: '',
    usage: 'clients [--json]',
    meaning:
      'list the clients: the driver, this machine’s tools and MIDI ports, each station heard; then the connections',
    flags: [json('one JSON array of the clients (default: a table, then the connections)')],
  },
  {
    name: 'connect',
    positionals: '<src> <dst>',
    usage: 'connect <src> <dst>',
    meaning: 'connect client src to client dst (each a name or a ref): what src sends, dst receives',
    flags: [],
  },
  {
    name: 'disconnect',
    positionals: '<src> <dst>',
    usage: 'disconnect <src> <dst>',
    meaning: 'undo a connect',
    flags: [],
  },
  {
    name: 'send',
    positionals: '[events..]',
    usage: 'send --to <client> [--json] [--name <name>] [event ...]',
    meaning: 'send events to a client, then exit once they have left this machine',
    more:
      'An event is its type, then name=value fields, separated by colons: keyOn:chan=0:pitch=60:vel=100, ' +
      'keyOff:pitch=60:vel=0, note:pitch=64:vel=90:dur=500, ctrlChange:ctrl=7:value=100, ' +
      'progChange:value=5, sysEx:data=1,2,3. port and chan are 0 unless given; every other field of the type is needed.',
    flags: [
      {
        key: 'to',
        type: 'string',
        term: '--to <client>',
        meaning: 'the client to send to: a station’s host name, another client’s name, or a ref (required)',
        required: true,
      },
      json(
        'read one JSON event per line from stdin, e.g. {"type":"keyOn","pitch":60,"vel":100} (default: the events given)',
      ),
      {
        key: 'name',
        type: 'string',
        term: '--name <name>',
        meaning: `this client’s name, as the others see it (default: ${SEND_CLIENT_NAME})`,
        default: SEND_CLIENT_NAME,
      },
    ],
  },
  {
    name: 'dump',
    positionals: '',
    usage: 'dump [--from <client>] [--json] [--name <name>]',
    meaning: 'print each event delivered to this machine, until interrupted (Ctrl-C)',
    flags: [
      {
        key: 'from',
        type: 'string',
        term: '--from <client>',
        meaning: 'only what this client sends (default: every remote station)',
      },
      json('one {"time","from","event"} JSON object per line (default: text)'),
      {
        key: 'name',
        type: 'string',
        term: '--name <name>',
        meaning: `this client’s name, as the others see it (default: ${DUMP_CLIENT_NAME})`,
        default: DUMP_CLIENT_NAME,
      },
    ],
  },
  {
    name: 'status',
    positionals: '',
    usage: 'status [--json]',
    meaning: 'the driver’s state and counters',
    flags: [json('one JSON object (default: text)')],
  },
  {
    name: 'ports',
    positionals: '',
    usage: 'ports [--json]',
    meaning: 'list the MIDI ports of this machine, for --midi-in and --midi-out (no driver needed)',
    flags: [json('one JSON object: { inputs, outputs } (default: text)')],
  },
];

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly ToolFlag[] = [
  {
    key: 'socket',
    type: 'string',
    term: '--socket <path>',
    meaning: 'the local endpoint of the driver to use (default: the one of -p’s port)',
  },
  {
    key: 'p',
    type: 'string',
    term: '-p <port>',
    meaning: `use the driver that runs on this port, at its usual endpoint (default: ${DEFAULT_PORT})`,
  },
  { key: 'help', aliases: ['h'], type: 'boolean', term: '-h, --help', meaning: 'print this help and exit' },
  {
    key: 'version',
    aliases: ['v'],
    type: 'boolean',
    term: '-v, --version',
    meaning: 'print the version and exit',
  },
];

export const TOOL_USAGE_HINT =
  'usage: msinet [--socket <path> | -p <port>] <command> ...   (msinet --help lists them)';

export function commandUsage(command: ToolCommand): string {
  return `usage: msinet ${command.usage}`;
}

const rows = (flags: readonly ToolFlag[]): HelpRow[] => flags.map((f) => ({ term: f.term, text: f.meaning }));

/** The whole page, or one command's when `only` names it. */
export function toolHelp(width: number, only?: ToolCommand['name']): string {
  const commands = TOOL_COMMANDS.filter((c) => only === undefined || c.name === only);
  const blocks: HelpBlock[] =
    only === undefined
      ? [
          {
            kind: 'usage',
            command: 'msinet',
            items: ['[--socket <path> | -p <port>]', '<command>', '[flag ...]'],
          },
          {
            kind: 'paragraph',
            text:
              'msinet talks to the msInetDriver of this machine through its local endpoint: it lists ' +
              'clients and stations, connects them, sends events and prints those that arrive. send and ' +
              'dump wake a sleeping driver; the other commands never do.',
          },
          {
            kind: 'rows',
            title: 'Commands:',
            rows: commands.map((c) => ({ term: c.usage.split(' [')[0] ?? c.name, text: c.meaning })),
          },
        ]
      : commands.map((c) => ({ kind: 'usage', command: 'msinet', items: [c.usage] }) as HelpBlock);
  for (const command of commands) {
    if (only !== undefined) {
      blocks.push({ kind: 'paragraph', text: command.meaning });
      if (command.more !== undefined) blocks.push({ kind: 'paragraph', text: command.more });
    }
    if (command.flags.length > 0) {
      blocks.push({ kind: 'rows', title: `Flags of ${command.name}:`, rows: rows(command.flags) });
    }
  }
  blocks.push({ kind: 'rows', title: 'Flags of every command:', rows: rows(GLOBAL_FLAGS) });
  if (only === undefined)
    blocks.push({
      kind: 'paragraph',
      text: 'msinet <command> --help shows one command; man msinet says more.',
    });
  return formatHelp(blocks, width);
}
