/**
 * Many WAN client stations in one process, for the server benchmark
 * (bench/wan.ts), run inside a lab host:
 *
 *   node --import tsx bench/wan-clients.ts --server ADDRESS[:PORT] --count N --first-port P
 *        [-- driver flags, e.g. -g 200 -lat 1500]
 *
 * Each is a whole msinet driver (`msinetDriver`, the library API) in WAN mode,
 * dialling the server (`-s ADDRESS`) from its own port (P, P + 1, …), under its
 * own host name (`client-01`, …), with one local client connected to the
 * server. One process instead of N: N node processes would take N × 60 MB and
 * N event loops on the machine's two cores, and the benchmark would measure
 * the machine instead of the server.
 *
 * The clients run on a scheduler that reads the same clock as the driver's
 * precise scheduler but sets plain Node timers: the precise scheduler sleeps
 * the thread before each deadline (bench/scheduler.ts), and N drivers' timers
 * would keep one thread asleep most of the time. A client's timers only say
 * when a group leaves; its events carry the dates they were sent at, and the
 * receiver's maxLat absorbs the group's lateness.
 *
 * Commands, one a line on stdin:
 *   `probe ID`                    every client sends event ID now;
 *   `run FIRST COUNT RATE FILE`   every client sends events FIRST… (COUNT of them)
 *                                 at RATE a second, all on one schedule; then the
 *                                 send times go to FILE: COUNT float64 per client,
 *                                 in client order, ms on the benchmark's clock.
 * Lines on stdout: `ready NAME…` once every client is connected to the server;
 * `ran FAILED` after a run (FAILED: sends the hub refused); `error …`.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  asyncScheduler,
  filter,
  firstValueFrom,
  map,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { parseDriverArgs } from '../src/cli.js';
import { msinetDriver } from '../src/driver.js';
import type { LocalClient } from '../src/sinks/hub.js';
import { createDriverLogger } from '../src/sinks/logger.js';
import { eventOfId } from './lan-events.js';

const { values, positionals } = parseArgs({
  options: {
    server: { type: 'string' },
    count: { type: 'string' },
    'first-port': { type: 'string' },
    epoch: { type: 'string' },
  },
  allowPositionals: true,
});
const server = values.server ?? '';
const count = Number(values.count ?? '0');
const firstPort = Number(values['first-port'] ?? '0');
const epoch = BigInt(values.epoch ?? '0');
if (server === '' || !(count > 0) || !(firstPort > 0)) {
  throw new Error('usage: wan-clients.ts --server ADDRESS[:PORT] --count N --first-port P [--epoch NS]');
}

/** The benchmark's clock (bench/lan-pair.ts benchClock) in this process, without a BigInt per reading. */
const origin = Number(process.hrtime.bigint() - epoch) / 1e6 - performance.now();
const benchNow = (): number => origin + performance.now();

/** The drivers' clock, ms since this process started, sub-millisecond; Node's timers for deadlines. */
class LoopScheduler implements SchedulerLike {
  private readonly started = performance.now();
  now(): number {
    return performance.now() - this.started;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
}
const loopScheduler = new LoopScheduler();

const logger = createDriverLogger({ level: 'warn' });

interface Client {
  name: string;
  local: LocalClient;
  /** Unsubscribe: the driver says TCPBye and closes its link. */
  running: Subscription;
  /** Resolves once the local client is connected to the server's remote client. */
  connected: Promise<void>;
}

function startClient(index: number): Client {
  const name = `client-${String(index + 1).padStart(2, '0')}`;
  const parsed = parseDriverArgs([...positionals, '-s', server, '-p', String(firstPort + index)]);
  if (parsed.kind !== 'run') throw new Error(`driver arguments: ${JSON.stringify(parsed)}`);
  const driver = msinetDriver(parsed.config, {
    scheduler: loopScheduler,
    logger,
    hostName: name,
    interfaces: [],
  });
  const running = driver.run$.subscribe({
    error: (error: unknown) => {
      process.stdout.write(`error ${name}: the driver stopped: ${String(error)}\n`);
      process.exit(1);
    },
  });
  const opened = driver.hub.openLocal('bench-send');
  if (!opened.ok) throw new Error(`${name}: openLocal: ${opened.reason}`);
  const local = opened.value;
  const connected = firstValueFrom(
    driver.hub.clients$.pipe(
      map((clients) => clients.find((c) => c.kind === 'remote')),
      filter((remote) => remote !== undefined),
    ),
  ).then((remote) => {
    const done = driver.hub.connect(local.ref, remote.ref);
    if (!done.ok) throw new Error(`${name}: connect: ${done.reason}`);
  });
  return { name, local, running, connected };
}

const clients = Array.from({ length: count }, (_, i) => startClient(i));
let failed = 0;

function send(client: Client, id: number): void {
  if (!client.local.send(eventOfId(id)).ok) failed += 1;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every client sends `total` events from `first` at `rate` a second. One
 * schedule for all: at each turn each client sends what is due by then, its
 * batch stamped as it starts; the clients take turns at going first, so no
 * client is always the last served.
 */
async function run(first: number, total: number, rate: number): Promise<Float64Array> {
  const stamps = new Float64Array(clients.length * total);
  const start = benchNow();
  let sent = 0;
  let turn = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((benchNow() - start) * rate) / 1000) + 1);
    if (due > sent) {
      for (let i = 0; i < clients.length; i++) {
        const c = (i + turn) % clients.length;
        const client = clients[c] as Client;
        const at = benchNow();
        for (let k = sent; k < due; k++) {
          stamps[c * total + k] = at;
          send(client, first + k);
        }
      }
      sent = due;
      turn += 1;
    }
    await sleep(1);
  }
  return stamps;
}

const READY_TIMEOUT_MS = 30_000;
const timeout = setTimeout(() => {
  process.stdout.write(`error not every client connected in ${READY_TIMEOUT_MS} ms\n`);
  process.exit(1);
}, READY_TIMEOUT_MS);
await Promise.all(clients.map((c) => c.connected));
clearTimeout(timeout);
process.stdout.write(`ready ${clients.map((c) => c.name).join(' ')}\n`);

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const [command, ...args] = line.trim().split(/\s+/);
  switch (command) {
    case 'probe':
      for (const client of clients) send(client, Number(args[0]));
      break;
    case 'run': {
      const [first, total, rate] = args.slice(0, 3).map(Number) as [number, number, number];
      const stamps = await run(first, total, rate);
      writeFileSync(args[3] ?? '', Buffer.from(stamps.buffer));
      process.stdout.write(`ran ${failed}\n`);
      failed = 0;
      break;
    }
    default:
      process.stdout.write(`error unknown command ${JSON.stringify(line)}\n`);
  }
}
// stdin closed: every client leaves as a user's would (TCPBye), then the process.
for (const client of clients) client.running.unsubscribe();
setTimeout(() => process.exit(0), 200);
