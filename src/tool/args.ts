/**
 * `msinet` command line (SPEC §2) → a Command value. Pure: it never prints,
 * exits or connects. `--socket` and `-p` may come before or after the
 * subcommand; refs and names stay text (the driver resolves them). The
 * commands and flags are commands.ts's table.
 */
import yargs, { type Argv } from 'yargs';
import { DEFAULTS } from '../model/config.js';
import { defaultSocketPath } from '../sources/socket-path.js';
import type { DriverAddress } from './driver-connection.js';
import {
  commandUsage,
  DEFAULT_PORT,
  GLOBAL_FLAGS,
  TOOL_COMMANDS,
  TOOL_USAGE_HINT,
  type ToolCommand,
  type ToolFlag,
} from './commands.js';

export { DEFAULT_PORT, DUMP_CLIENT_NAME, SEND_CLIENT_NAME } from './commands.js';

export type Command =
  | { kind: 'clients'; json: boolean }
  | { kind: 'connect' | 'disconnect'; src: string; dst: string }
  | { kind: 'send'; to: string; json: boolean; events: string[]; name: string }
  | { kind: 'dump'; from: string | undefined; json: boolean; name: string }
  | { kind: 'status'; json: boolean }
  | { kind: 'ports'; json: boolean };

export type ParsedArgs =
  | { kind: 'run'; socket: DriverAddress; command: Command }
  | { kind: 'help'; command: ToolCommand['name'] | undefined }
  | { kind: 'version' }
  | { kind: 'error'; reason: string; usage: string };

function withFlags<T>(y: Argv<T>, flags: readonly ToolFlag[], global = false): Argv<T> {
  return flags.reduce(
    (all, flag) =>
      all.option(flag.key, {
        type: flag.type,
        ...(flag.aliases ? { alias: flag.aliases } : {}),
        ...(flag.required ? { demandOption: true } : {}),
        ...(flag.default !== undefined ? { default: flag.default } : {}),
        ...(global ? { global: true } : {}),
      }),
    y,
  );
}

function parser() {
  const base = withFlags(
    yargs()
      .scriptName('msinet')
      .parserConfiguration({
        'parse-positional-numbers': false,
        'short-option-groups': false,
      })
      .version(false)
      .help(false)
      .strict(),
    GLOBAL_FLAGS,
    true,
  );
  return TOOL_COMMANDS.reduce(
    (y, command) =>
      y.command(`${command.name} ${command.positionals}`.trim(), false, (sub) =>
        withFlags(sub, command.flags),
      ),
    base,
  ).demandCommand(1, 'a command is needed');
}

/** The command the line names, if it names one (for its usage line, or its help). */
function commandNamed(parsed: Record<string, unknown>): ToolCommand | undefined {
  const first = (parsed['_'] as unknown[] | undefined)?.[0];
  return TOOL_COMMANDS.find((command) => command.name === first);
}

export function parseMsinetArgs(argv: readonly string[]): ParsedArgs {
  let failure: string | undefined;
  let parsed: Record<string, unknown> = {};
  parser().parse([...argv], {}, (error, result) => {
    failure = error?.message;
    parsed = result as Record<string, unknown>;
  });
  const named = commandNamed(parsed);
  // Help and version answer even when the rest of the line is wrong (`msinet send --help` without --to).
  if (parsed['help'] === true) return { kind: 'help', command: named?.name };
  if (parsed['version'] === true) return { kind: 'version' };
  const usage = named === undefined ? TOOL_USAGE_HINT : commandUsage(named);
  if (failure !== undefined) return { kind: 'error', reason: readable(failure, named, parsed), usage };

  const socket = socketOf(parsed);
  if ('reason' in socket) return { kind: 'error', reason: socket.reason, usage };
  const command = commandOf(parsed);
  if (command.kind === 'send' && command.json && command.events.length > 0) {
    return { kind: 'error', reason: 'send: events on the command line or --json on stdin, not both', usage };
  }
  return { kind: 'run', socket, command };
}

/** yargs' reason, in this tool's words where they say more. */
function readable(failure: string, named: ToolCommand | undefined, parsed: Record<string, unknown>): string {
  const first = (parsed['_'] as unknown[] | undefined)?.[0];
  if (named === undefined && first !== undefined) return `unknown command '${String(first)}'`;
  if (named !== undefined && failure.startsWith('Not enough non-option arguments')) {
    return `${named.name}: needs ${named.positionals}`;
  }
  return failure;
}

/**
 * A flag given twice: the last one counts, as in most tools. (yargs' own
 * 'duplicate-arguments-array' switch would also cut `send`'s list of events
 * to its last one.)
 */
function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function socketOf(parsed: Record<string, unknown>): DriverAddress | { reason: string } {
  const socket = last(parsed['socket']);
  const port = last(parsed['p']);
  if (socket === '') return { reason: '--socket: needs a value, the path of a driver’s endpoint' };
  if (typeof socket === 'string') return { path: socket };
  if (port === undefined)
    return { path: defaultSocketPath(DEFAULT_PORT), orElse: defaultSocketPath(DEFAULTS.wan.port) };
  const text = String(port).trim();
  if (text === '') return { reason: `-p: needs a value, a port 1–65535` };
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    return { reason: `-p: expected a port 1–65535, got '${String(port)}'` };
  }
  return { path: defaultSocketPath(value) };
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
