/**
 * The driver's own cost, without sockets or other processes: two LAN drivers
 * in this one process on an in-memory wire (each datagram handed over on the
 * next loop turn), on the precise scheduler. A burst of key events goes from
 * a client of A to a client of B through everything in between (hub, grouping,
 * packetizing, encoding, decoding, the remote table, delivery planning and
 * timing, the stuck-note guard). It shows where a LAN burst's time goes when
 * bench/lan.ts cannot tell the driver from the machine.
 *
 *   node --import tsx bench/pipeline.ts [bursts] [events]
 */
import { Observable, Subject, filter, firstValueFrom, map } from 'rxjs';
import { parseDriverArgs } from '../src/cli.js';
import { DEFAULTS } from '../src/model/config.js';
import { msinetDriver, type Driver, type DriverNet } from '../src/driver.js';
import { silentLogger } from '../src/sinks/logger.js';
import type { LanInterface } from '../src/sources/interfaces.js';
import type { Datagram, LanUdpEndpoint, UdpAddress } from '../src/sources/lan-udp.js';
import { preciseScheduler as scheduler } from '../src/sources/precise-scheduler.js';
import { fail } from '../src/model/result.js';
import { markdownTable } from './lan-stats.js';

const bursts = Number(process.argv[2] ?? 6);
const burstEvents = Number(process.argv[3] ?? 20_000);
const PORT = DEFAULTS.lan.port;
const parsed = parseDriverArgs(['-g', '10', '-lat', '10', '--quiet']);
if (parsed.kind !== 'run') throw new Error(`driver arguments: ${JSON.stringify(parsed)}`);
const { config } = parsed;

/** Every station's inbox; a datagram reaches it on the next loop turn, as from a socket. */
const inboxes = new Map<string, Subject<Datagram>>();

function carry(bytes: Uint8Array, from: UdpAddress, to: string, broadcast: boolean): void {
  setImmediate(() => inboxes.get(to)?.next({ bytes, from, broadcast, at: scheduler.now() }));
}

function station(address: string, hostName: string): Driver {
  const iface: LanInterface = { name: 'eth0', address, netmask: '255.255.255.0', broadcast: '10.0.0.255' };
  const net: Partial<DriverNet> = {
    openUdp: () =>
      new Observable<LanUdpEndpoint>((subscriber) => {
        const inbox = new Subject<Datagram>();
        inboxes.set(address, inbox);
        const from: UdpAddress = { address, port: PORT };
        subscriber.next({
          port: PORT,
          interfaces: [iface],
          datagrams$: inbox.asObservable(),
          send: (bytes, to) => carry(bytes, from, to.address, false),
          broadcast: (bytes) => {
            for (const other of inboxes.keys()) if (other !== address) carry(bytes, from, other, true);
          },
          stats: () => ({ received: 0, ownDropped: 0, sent: 0, sendErrors: 0 }),
        });
        return () => inboxes.delete(address);
      }),
    listenTcp: ({ port }) =>
      new Observable((s) => s.next({ port, host: address, connections$: new Observable() })),
    connectTcp: () => new Observable((s) => s.next(fail('no TCP on this wire'))),
  };
  return msinetDriver(config, { scheduler, logger: silentLogger, hostName, interfaces: [iface], net });
}

const a = station('10.0.0.1', 'hostA');
const b = station('10.0.0.2', 'hostB');
const running = [a.run$.subscribe(), b.run$.subscribe()];
const sender = a.hub.openLocal('sender');
const receiver = b.hub.openLocal('receiver', { follow: { kind: 'remotes' } });
if (!sender.ok || !receiver.ok) throw new Error('openLocal failed');
const remote = await firstValueFrom(
  a.hub.clients$.pipe(
    map((clients) => clients.find((c) => c.kind === 'remote' && c.name === 'hostB')),
    filter((c) => c !== undefined),
  ),
);
a.hub.connect(sender.value.ref, remote.ref);
await firstValueFrom(b.hub.clients$.pipe(filter((clients) => clients.some((c) => c.name === 'hostA'))));

let delivered = 0;
let lastDelivery = 0;
let onTarget: (() => void) | undefined;
receiver.value.events$.subscribe(() => {
  delivered += 1;
  lastDelivery = scheduler.now();
  if (delivered % burstEvents === 0) onTarget?.();
});

const rows: string[][] = [];
for (let burst = 1; burst <= bursts; burst++) {
  const done = new Promise<void>((resolve) => (onTarget = resolve));
  const first = scheduler.now();
  for (let i = 0; i < burstEvents; i++) {
    const pitch = (i >> 1) % 128;
    sender.value.send({ type: i % 2 === 0 ? 'keyOn' : 'keyOff', port: 0, chan: 0, pitch, vel: 100 });
  }
  const sendSpan = scheduler.now() - first;
  await done;
  const span = lastDelivery - first;
  rows.push([
    String(burst),
    ((sendSpan / burstEvents) * 1000).toFixed(2),
    sendSpan.toFixed(1),
    span.toFixed(1),
    Math.round((burstEvents / span) * 1000).toLocaleString('en-US'),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 300));
}
for (const subscription of running) subscription.unsubscribe();

console.log(
  `In-process pipeline, two LAN drivers, \`-g 10 -lat 10\`, bursts of ${burstEvents.toLocaleString('en-US')} key events\n`,
);
console.log(
  markdownTable(
    ['burst', 'send µs/event', 'send loop (ms)', 'first send → last delivery (ms)', 'events/s'],
    rows,
    [true, true, true, true, true],
  ),
);
setTimeout(() => process.exit(0), 50);
