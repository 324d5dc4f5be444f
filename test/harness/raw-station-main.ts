/**
 * The raw station as a process, for labs: `node --import tsx
 * test/harness/raw-station-main.ts '<RawStationOptions as JSON>'`.
 *
 * stdin: one command a line, `{"id": N, "op": ..., ...}` (RawStationCommand).
 * stdout: one JSON object a line —
 *   `{"ready": {"endpoint": "addr:port"}}` once bound,
 *   `{"id": N, "ok": true, "result": ...}` or `{"id": N, "ok": false, "error": "..."}` per command,
 *   `{"rx": ReceivedPacket}` per datagram received.
 * It exits on `quit` or when stdin closes.
 */
import { createInterface } from 'node:readline';
import { RawStation, type RawStationOptions } from './raw-station.js';

export type RawStationCommand =
  | { op: 'hostId'; to?: string; clock?: number; name?: string; extraHex?: string }
  | { op: 'bye'; to?: string }
  | {
      op: 'midi';
      to?: string;
      serial?: number;
      date?: number;
      count?: number;
      offset?: number;
      eventsHex: string;
    }
  | { op: 'raw'; to?: string; hex: string }
  | { op: 'announce'; everyMs?: number; to?: string }
  | { op: 'silence' }
  | { op: 'restart'; clockStart?: number }
  | { op: 'clock' }
  | { op: 'quit' };

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function execute(station: RawStation, command: RawStationCommand): Promise<unknown> {
  switch (command.op) {
    case 'hostId':
      return station.hostId({
        to: command.to,
        clock: command.clock,
        name: command.name,
        extra: command.extraHex === undefined ? undefined : Buffer.from(command.extraHex, 'hex'),
      });
    case 'bye':
      return station.bye(command.to);
    case 'midi':
      return station.midi({ ...command, events: Buffer.from(command.eventsHex, 'hex') });
    case 'raw':
      return station.raw(Buffer.from(command.hex, 'hex'), command.to);
    case 'announce':
      return station.announce(command.everyMs, command.to);
    case 'silence':
      return station.silence();
    case 'restart':
      return station.restart(command.clockStart);
    case 'clock':
      return station.clock();
    case 'quit':
      return undefined;
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as RawStationOptions;
  const station = await RawStation.open(options);
  station.onPacket((rx) => print({ rx }));
  print({ ready: { endpoint: station.endpoint } });

  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let quitting: Promise<void> | undefined;
  const quit = (): Promise<void> =>
    (quitting ??= (async () => {
      input.close();
      await station.close();
      process.exit(0);
    })());
  input.on('close', () => void quit());
  for await (const line of input) {
    if (line.trim() === '') continue;
    let id: unknown;
    try {
      const command = JSON.parse(line) as RawStationCommand & { id?: unknown };
      id = command.id;
      const result = await execute(station, command);
      print({ id, ok: true, result: result ?? null });
      if (command.op === 'quit') await quit();
    } catch (err) {
      print({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`raw station: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
