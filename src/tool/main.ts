/**
 * `msinet`: the client-side tool (SPEC §2). Parses the command line, runs
 * the command against the driver's local endpoint, answers the exit code:
 * 0 done, 1 anything wrong (one line on stderr saying what).
 */
import { VERSION } from '../model/config.js';
import { helpWidth } from '../model/help-text.js';
import { parseMsinetArgs } from './args.js';
import { toolHelp } from './commands.js';
import { CommandError } from './driver-connection.js';
import { runDump } from './dump.js';
import type { Io } from './io.js';
import { runPorts } from './ports.js';
import { runQuery } from './queries.js';
import { runSend } from './send.js';

const processIo: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const parsed = parseMsinetArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout.write(toolHelp(helpWidth(io.stdout as { isTTY?: boolean; columns?: number }), parsed.command));
    return 0;
  }
  if (parsed.kind === 'version') {
    io.stdout.write(`msinet ${VERSION}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`msinet: ${parsed.reason}\n${parsed.usage}\n`);
    return 1;
  }
  const { socket, command } = parsed;
  try {
    switch (command.kind) {
      case 'send':
        return await runSend(socket, command, io);
      case 'dump':
        return await runDump(socket, command, io, untilSignal());
      case 'ports':
        return await runPorts(command, io);
      default:
        return await runQuery(socket, command, io);
    }
  } catch (error) {
    const message = error instanceof CommandError ? error.message : String((error as Error).message ?? error);
    io.stderr.write(`msinet: ${message}\n`);
    return 1;
  }
}
