/**
 * `msinet` command line (SPEC §2) → a Command value. Pure: it never prints,
 * exits or connects. `--socket` and `-p` may come before or after the
 * subcommand; refs and names stay text (the driver resolves them).
 */
import yargs from 'yargs';
import { defaultSocketPath } from '../sources/socket-path.js';

export type Command =
  | { kind: 'clients'; json: boolean }
  | { kind: 'connect' | 'disconnect'; src: string; dst: string }
  | { kind: 'send'; to: string; json: boolean; events: string[]; name: string }
  | { kind: 'dump'; from: string | undefined; json: boolean; name: string }
  | { kind: 'status'; json: boolean }
  | { kind: 'ports'; json: boolean };

export type ParsedArgs =
  | { kind: 'run'; socket: string; command: Command }
  | { kind: 'help'; text: string }
  | { kind: 'error'; reason: string; usage: string };

export const DEFAULT_PORT = 4950;
export const SEND_CLIENT_NAME = 'msinet-send';
export const DUMP_CLIENT_NAME = 'msinet-dump';

function parser() {
  return yargs()
    .scriptName('msinet')
    .usage('usage: msinet [--socket path | -p port] <command>')
    .parserConfiguration({
      'parse-positional-numbers': false,
      'short-option-groups': false,
    })
    .version(false)
    .strict()
    .option('socket', {
      type: 'string',
      global: true,
      describe: "the driver's local endpoint (Unix socket)",
    })
    .option('p', {
      type: 'string',
      global: true,
      describe: `find the driver of this port (default ${DEFAULT_PORT})`,
    })
    .command('clients', 'list clients', (y) =>
      y.option('json', { type: 'boolean', describe: 'one JSON array' }),
    )
    .command('connect <src> <dst>', 'connect src → dst (names or refs)', (y) =>
      y.positional('src', { type: 'string' }).positional('dst', { type: 'string' }),
    )
    .command('disconnect <src> <dst>', 'disconnect src → dst (names or refs)', (y) =>
      y.positional('src', { type: 'string' }).positional('dst', { type: 'string' }),
    )
    .command('send [events..]', 'send events to a client, wait until they have left', (y) =>
      y
        .positional('events', {
          type: 'string',
          array: true,
          describe: 'e.g. keyOn:chan=0:pitch=60:vel=100',
        })
        .option('to', {
          type: 'string',
          demandOption: true,
          describe: 'the client to send to (name or ref)',
        })
        .option('json', { type: 'boolean', describe: 'read one JSON event per line from stdin' })
        .option('name', { type: 'string', default: SEND_CLIENT_NAME, describe: 'this client’s name' }),
    )
    .command('dump', 'print each event delivered, until interrupted', (y) =>
      y
        .option('from', { type: 'string', describe: 'only from this client (default: every remote)' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line' })
        .option('name', { type: 'string', default: DUMP_CLIENT_NAME, describe: 'this client’s name' }),
    )
    .command('status', "the driver's state and counters", (y) => y.option('json', { type: 'boolean' }))
    .command('ports', 'list the MIDI ports of this machine (no driver needed)', (y) =>
      y.option('json', { type: 'boolean', describe: 'one JSON object: { inputs, outputs }' }),
    )
    .demandCommand(1, 'a command is needed')
    .help();
}

export function parseMsinetArgs(argv: readonly string[]): ParsedArgs {
  const yargsParser = parser();
  let failure: string | undefined;
  let text = '';
  let parsed: Record<string, unknown> = {};
  yargsParser.parse([...argv], {}, (error, result, output) => {
    failure = error?.message;
    text = output;
    parsed = result as Record<string, unknown>;
  });
  const usage = text || 'usage: msinet [--socket path | -p port] <command>   (msinet --help)';
  if (failure !== undefined) return { kind: 'error', reason: failure, usage };
  if (parsed['help'] === true) return { kind: 'help', text };

  const socket = socketOf(parsed);
  if (typeof socket !== 'string') return { kind: 'error', reason: socket.reason, usage };
  const command = commandOf(parsed);
  if (command.kind === 'send' && command.json && command.events.length > 0) {
    return { kind: 'error', reason: 'send: events on the command line or --json on stdin, not both', usage };
  }
  return { kind: 'run', socket, command };
}

/**
 * A flag given twice: the last one counts, as in most tools. (yargs' own
 * 'duplicate-arguments-array' switch would also cut `send`'s list of events
 * to its last one.)
 */
function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function socketOf(parsed: Record<string, unknown>): string | { reason: string } {
  const socket = last(parsed['socket']);
  const port = last(parsed['p']);
  if (typeof socket === 'string') return socket;
  if (port === undefined) return defaultSocketPath(DEFAULT_PORT);
  const text = String(port).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    return { reason: `-p: expected a port 1–65535, got '${String(port)}'` };
  }
  return defaultSocketPath(value);
}

function commandOf(parsed: Record<string, unknown>): Command {
  const [name] = parsed['_'] as string[];
  const json = last(parsed['json']) === true;
  const text = (key: string): string => String(last(parsed[key]));
  switch (name) {
    case 'clients':
      return { kind: 'clients', json };
    case 'connect':
    case 'disconnect':
      return { kind: name, src: text('src'), dst: text('dst') };
    case 'send':
      return {
        kind: 'send',
        to: text('to'),
        json,
        events: ((parsed['events'] as unknown[] | undefined) ?? []).map(String),
        name: text('name'),
      };
    case 'dump':
      return {
        kind: 'dump',
        from: parsed['from'] === undefined ? undefined : text('from'),
        json,
        name: text('name'),
      };
    case 'ports':
      return { kind: 'ports', json };
    default:
      return { kind: 'status', json };
  }
}
