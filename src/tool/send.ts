/**
 * `msinet send --to <name> [--json] [event…]` (SPEC §2): open a transient
 * local client, connect it to <name>, send the events — from the command
 * line, or one JSON event per line of stdin as each line is read — wait
 * until they have left the host, exit 0. Exit 1 when an event is refused
 * (after sending the others) or <name> is unknown.
 */
import { ReplaySubject, firstValueFrom } from 'rxjs';
import { eventToJson } from '../model/event-json.js';
import { parseEventText } from '../model/event-text.js';
import type { ClientJson, Reply } from '../wire/local-protocol.js';
import type { Command } from './args.js';
import { ask, CommandError, reachDriver, type DriverAddress } from './driver-connection.js';
import type { Io } from './io.js';
import { sendStdinEvents } from './stdin-events.js';
import { clientAppears, clientLists, notFound, wakePatience } from './wait-for-client.js';

type SendCommand = Extract<Command, { kind: 'send' }>;

export async function runSend(socket: DriverAddress, command: SendCommand, io: Io): Promise<number> {
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
      const fromStdin = await sendStdinEvents(io, driver);
      refused += fromStdin.bad + fromStdin.refused;
    }
    await ask(driver, 'drain');
    return refused === 0 ? 0 : 1;
  } finally {
    driver.close();
  }
}
