/**
 * A benchmark station, run inside a lab host by bench/lan.ts:
 *
 *   node --import tsx bench/lan-station.ts --transport library|udp --role send|receive
 *        --epoch <hrtime ns> --peer <remote name | address:port> [-- driver flags]
 *
 * It stamps every event it sends or receives with `process.hrtime` (the
 * machine's monotonic clock, which every namespace shares) as ms since
 * `--epoch`, so stamps from both hosts and the benchmark compare directly.
 *
 * Commands, one a line on stdin:   `send ID`, `burst FIRST COUNT`,
 *   `expect N` (answers `reached N` once N measured events have arrived), `report`.
 * Lines on stdout:  `ready`, `probe ID` (a readiness probe arrived),
 *   `reached N`, `report {"sent": [[id, ms]…], "delivered": [[id, ms]…], "clock"?: {…}}`:
 *   with a driver, `clock` holds when its clock read 0 on the benchmark's clock
 *   (`origin`) and its reference of the remote's clock (`offset`), both ms.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PROBE_BASE, idRange } from './lan-events.js';
import { libraryTransport, udpTransport, type Role, type Transport } from './lan-transport.js';

const { values, positionals } = parseArgs({
  options: {
    transport: { type: 'string' },
    role: { type: 'string' },
    epoch: { type: 'string' },
    peer: { type: 'string' },
  },
  allowPositionals: true,
});
const role = values.role as Role;
if (role !== 'send' && role !== 'receive') throw new Error(`--role send|receive, not ${String(values.role)}`);
const epoch = BigInt(values.epoch ?? '0');
const peer = values.peer ?? '';
// performance.now() reads the same monotonic clock as process.hrtime without a BigInt per
// stamp: the stations stamp every event of a burst, and their stamping is part of the path.
const origin = Number(process.hrtime.bigint() - epoch) / 1e6 - performance.now();
const now = (): number => origin + performance.now();

const transport: Transport =
  values.transport === 'library' ? libraryTransport(role, peer, positionals) : udpTransport(role, peer);

/**
 * Stamps as ids and times side by side: plain number arrays take a burst's
 * 20,000 stamps without an object each, so the station's own garbage does not
 * slow the driver it shares the process with.
 */
class Stamps {
  ids: number[] = [];
  times: number[] = [];
  get length(): number {
    return this.ids.length;
  }
  add(id: number, at: number): void {
    this.ids.push(id);
    this.times.push(at);
  }
  /** `[[id, ms]…]`, and empties itself. */
  take(): [number, number][] {
    const pairs = this.ids.map((id, i): [number, number] => [id, this.times[i] ?? NaN]);
    this.ids = [];
    this.times = [];
    return pairs;
  }
}

const sent = new Stamps();
const delivered = new Stamps();
let expected: number | undefined;
const stamp = (id: number): void => {
  if (id < PROBE_BASE) sent.add(id, now());
};

transport.onEvent((id) => {
  const at = now();
  if (id >= PROBE_BASE) {
    process.stdout.write(`probe ${id}\n`);
    return;
  }
  delivered.add(id, at);
  if (expected !== undefined && delivered.length >= expected) {
    process.stdout.write(`reached ${expected}\n`);
    expected = undefined;
  }
});

/** With MSINET_BENCH_PROFILE=DIR, a CPU profile of the station's whole life goes to DIR (for Chrome DevTools). */
const profileDir = process.env.MSINET_BENCH_PROFILE;
const profiler = profileDir === undefined ? undefined : new Session();
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

async function saveProfile(): Promise<void> {
  if (!profiler || profileDir === undefined) return;
  const { profile } = await profiler.post('Profiler.stop');
  const file = `${values.transport}-${role}-${process.pid}.cpuprofile`;
  writeFileSync(join(profileDir, file), JSON.stringify(profile));
}
// The benchmark ends a lab's stations with SIGTERM: the profile is written then too.
if (profiler) process.once('SIGTERM', () => void saveProfile().then(() => process.exit(0)));

function clockReport(): { origin: number; offset?: number } | undefined {
  const reading = transport.clock?.();
  return (
    reading && {
      origin: now() - reading.now,
      ...(reading.offset !== undefined ? { offset: reading.offset } : {}),
    }
  );
}

/** Events per slice of a burst. */
const BURST_SLICE = 1000;

/**
 * A burst goes in slices with a turn of the event loop between them, as a program
 * that sends much should: the driver's timers (the grouping period) and I/O run
 * in between, instead of waiting for the whole burst to be handed over.
 */
async function sendInSlices(ids: readonly number[]): Promise<void> {
  for (let first = 0; first < ids.length; first += BURST_SLICE) {
    transport.send(ids.slice(first, first + BURST_SLICE), stamp);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

await transport.ready;
process.stdout.write('ready\n');

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const [command, ...args] = line.trim().split(/\s+/);
  const numbers = args.map(Number);
  switch (command) {
    case 'send':
      transport.send([numbers[0] ?? 0], stamp);
      break;
    case 'burst':
      await sendInSlices(idRange(numbers[0] ?? 0, numbers[1] ?? 0));
      break;
    case 'expect':
      expected = numbers[0] ?? 0;
      if (delivered.length >= expected) {
        process.stdout.write(`reached ${expected}\n`);
        expected = undefined;
      }
      break;
    case 'report':
      process.stdout.write(
        `report ${JSON.stringify({ sent: sent.take(), delivered: delivered.take(), clock: clockReport() })}\n`,
      );
      break;
    default:
      process.stdout.write(`error unknown command ${JSON.stringify(line)}\n`);
  }
}
transport.close();
await saveProfile();
// A moment for the last datagrams (a library driver's Bye) to leave.
setTimeout(() => process.exit(0), 50);
