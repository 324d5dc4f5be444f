/**
 * `msinet dump [--from <name>] [--json]` (SPEC §2): open a transient local
 * client connected from <name> — or from every remote, present and future —
 * and print each delivery on one line until a signal stops it (exit 0). The
 * end of stdin is not a stop; the driver going away is an error (exit 1).
 */
import { ReplaySubject, filter, finalize, map } from 'rxjs';
import { deliveryText } from '../wire/delivery-text.js';
import type { ClientJson, DeliveryPush } from '../wire/local-protocol.js';
import type { Command } from './args.js';
import { ask, reachDriver, type DriverAddress } from './driver-connection.js';
import type { Io } from './io.js';
import { clientAppears, clientLists, wakePatience } from './wait-for-client.js';

type DumpCommand = Extract<Command, { kind: 'dump' }>;

export async function runDump(
  socket: DriverAddress,
  command: DumpCommand,
  io: Io,
  stop: Promise<void>,
): Promise<number> {
  // --json prints deliveries as the driver wrote them, without parsing and writing them again.
  const driver = await reachDriver(socket, { deliveries: command.json ? 'text' : 'parsed' });
  try {
    const lines$ = command.json
      ? driver.deliveryTexts$
      : driver.pushes$.pipe(
          filter((push): push is DeliveryPush => push.push === 'delivery'),
          map(deliveryText),
        );
    const stdoutClosed = new Promise<void>((done) => io.stdout.once('error', () => done()));
    // The deliveries of one event-loop turn go out in one write, not one write per event.
    let lines: string[] = [];
    const flush = () => {
      if (lines.length > 0) io.stdout.write(lines.join(''));
      lines = [];
    };
    lines$.pipe(finalize(flush)).subscribe((line) => {
      if (lines.length === 0) setImmediate(flush);
      lines.push(`${line}\n`);
    });
    const lists = new ReplaySubject<ClientJson[]>(1);
    clientLists(driver.pushes$).subscribe(lists);

    const source = command.from === undefined ? { fromRemotes: true } : { from: command.from };
    const opened = await ask(driver, 'open', { name: command.name, transient: true, ...source });
    if (command.from !== undefined) {
      const patience = wakePatience(opened);
      if (!(await clientAppears(lists, command.from, patience))) {
        io.stderr.write(`msinet: no client named '${command.from}' yet; listening for it\n`);
      }
    }

    const ended = driver.ended.then(() => 'ended' as const);
    const outcome = await Promise.race([
      stop.then(() => 'stopped' as const),
      stdoutClosed.then(() => 'stopped' as const),
      ended,
    ]);
    if (outcome === 'ended') {
      io.stderr.write('msinet: the driver closed the connection\n');
      return 1;
    }
    return 0;
  } finally {
    driver.close();
  }
}
