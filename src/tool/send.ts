/**
 * `msinet send --to <name> [--json] [event…]` (SPEC §2): open a transient
 * local client, connect it to <name>, send the events — from the command
 * line, or one JSON event per line of stdin as each line is read — wait
 * until they have left the host, exit 0. Exit 1 when an event is refused
 * (after sending the others) or <name> is unknown.
 */
import { createInterface } from 'node:readline';
import { ReplaySubject, firstValueFrom } from 'rxjs';
import { eventToJson, parseEvent } from '../model/event-json.js';
import { parseEventText } from '../model/event-text.js';
import type { MidiEvent } from '../model/event.js';
import type { ClientJson, Reply } from '../wire/local-protocol.js';
import type { Command } from './args.js';
import { ask, CommandError, reachDriver } from './driver-connection.js';
import type { Io } from './io.js';
import { clientAppears, clientLists, notFound, wakePatience } from './wait-for-client.js';

type SendCommand = Extract<Command, { kind: 'send' }>;

export async function runSend(socket: string, command: SendCommand, io: Io): Promise<number> {
  const events = command.events.map((text) => {
    const parsed = parseEventText(text);
    if (!parsed.ok) throw new CommandError(`'${text}': ${parsed.reason}`);
    return parsed.value;
  });

  const driver = await reachDriver(socket);
  try {
    const lists = new ReplaySubject<ClientJson[]>(1);
    clientLists(driver.pushes$).subscribe(lists);
    const opened = await ask(driver, 'open', { name: command.name, transient: true });
    const patience = wakePatience(opened);
    if (!(await clientAppears(lists, command.to, patience))) {
      const seen = await firstValueFrom(lists, { defaultValue: [] as ClientJson[] });
      throw new CommandError(notFound(command.to, seen, opened['woke'] === true));
    }
    await ask(driver, 'connect', { src: opened['ref'], dst: command.to });

    let refused = 0;
    const report = (where: string, reply: Reply): void => {
      if (reply.ok) return;
      refused += 1;
      io.stderr.write(`msinet: ${where}: ${reply.error}\n`);
    };
    if (events.length > 0) {
      report('events', await driver.request('send', { events: events.map(eventToJson) }));
    }
    if (command.json) {
      const send = (lines: string, batch: Record<string, unknown>[]): Promise<void> =>
        driver.request('send', { events: batch }).then((reply) => report(lines, reply));
      // Not `refused += await …`: that would add to the count read before the replies came.
      const unreadable = await sendStdin(io, send, () => driver.flushed());
      refused += unreadable;
    }
    await ask(driver, 'drain');
    return refused === 0 ? 0 : 1;
  } finally {
    driver.close();
  }
}

/** Events in one request at most (the endpoint takes up to 4096). */
const MAX_BATCH = 1024;

/**
 * Sends stdin's events as they are read: the lines that arrive together (one read of
 * the pipe) leave in one request, so a burst costs a request per chunk, not per event.
 * Answers how many lines were not events.
 */
function sendStdin(
  io: Io,
  send: (lines: string, batch: Record<string, unknown>[]) => Promise<void>,
  flushed: () => Promise<void>,
): Promise<number> {
  return new Promise((done) => {
    const replies: Promise<void>[] = [];
    const input = createInterface({ input: io.stdin, crlfDelay: Infinity });
    let bad = 0;
    let lineNumber = 0;
    let batch: Record<string, unknown>[] = [];
    let firstLine = 0;
    const flush = () => {
      if (batch.length === 0) return;
      replies.push(send(`lines ${firstLine}–${lineNumber}`, batch));
      batch = [];
      // Backpressure: read on once the driver has taken what was written.
      input.pause();
      void flushed().then(() => input.resume());
    };
    input.on('line', (line) => {
      lineNumber += 1;
      if (line.trim() === '') return;
      const event = parseLine(line);
      if (!event.ok) {
        bad += 1;
        io.stderr.write(`msinet: line ${lineNumber}: ${event.reason}\n`);
        return;
      }
      if (batch.length === 0) {
        firstLine = lineNumber;
        setImmediate(flush);
      }
      batch.push(eventToJson(event.value));
      if (batch.length >= MAX_BATCH) flush();
    });
    input.on('close', () => {
      flush();
      void Promise.all(replies).then(() => done(bad));
    });
  });
}

function parseLine(line: string): { ok: true; value: MidiEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return parseEvent(json);
}
