/**
 * The whole LAN driver in virtual time: two drivers, A and B, whose sockets
 * are subjects on one in-memory wire (SPEC §4, §6). One frame is 1 ms.
 *
 * Both wake at 0, send their HostID burst (0, 50, … 250 ms) and lock each
 * other's clock reference by the end of it; by 400 ms each lists the other.
 * With G = 10 and maxLat = 10, an event A's client sends at 503 leaves in a
 * packet dated 513 and reaches B's client at 513 + offset (0 here) + 10 = 523:
 * its date + G + maxLat.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, Subject, map, timer, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DEFAULTS, type Config } from '../src/model/config.js';
import { lanDriver, type Driver, type DriverIo, type DriverNet } from '../src/driver.js';
import { mapChannel } from '../src/operators/map-channel.js';
import { transpose } from '../src/operators/transpose.js';
import type { Delivery } from '../src/sinks/hub.js';
import type { MidiEvent } from '../src/model/event.js';
import { fail } from '../src/model/result.js';
import { silentLogger } from '../src/sinks/logger.js';
import { problemCounter } from '../src/sinks/rate-limited-log.js';
import type { LanInterface } from '../src/sources/interfaces.js';
import type { Datagram, LanUdpEndpoint, UdpAddress } from '../src/sources/lan-udp.js';
import { decodePacket, encodePacket } from '../src/wire/codec.js';
import { keyOff, keyOn } from './fixtures.js';

const PORT = DEFAULTS.lan.port;

const config: Config = {
  mode: 'lan',
  port: PORT,
  maxLatency: 10,
  grouping: 10,
  daemon: false,
  logFile: '/dev/null',
  hosts: [],
  maxClients: 32,
  late: 'play',
  socket: undefined,
  logLevel: 'error',
  interface: undefined,
  midi: false,
  midiIn: [],
  midiOut: [],
  inbound: [],
  outbound: [],
};

/** How the wire treats one datagram: delivered after `delay` ms, `copies` times (0: lost). */
type WireRule = (
  packet: ReturnType<typeof decodePacket>,
  from: string,
  sentAt: number,
) => { delay: number; copies: number };

const perfectWire: WireRule = () => ({ delay: 0, copies: 1 });

/** An in-memory LAN: each station's endpoint is a subject; broadcast reaches every other station. */
class Wire {
  readonly inboxes = new Map<string, Subject<Datagram>>();
  /** [open, close] times of each station's sockets. */
  readonly sessions: Array<{ address: string; opened: number; closed?: number }> = [];

  constructor(
    private readonly scheduler: SchedulerLike,
    public rule: WireRule = perfectWire,
  ) {}

  net(address: string): Partial<DriverNet> {
    const iface: LanInterface = { name: 'eth0', address, netmask: '255.255.255.0', broadcast: '10.0.0.255' };
    return {
      openUdp: () =>
        new Observable<LanUdpEndpoint>((subscriber) => {
          const inbox = new Subject<Datagram>();
          const session: { address: string; opened: number; closed?: number } = {
            address,
            opened: this.scheduler.now(),
          };
          this.sessions.push(session);
          this.inboxes.set(address, inbox);
          const from: UdpAddress = { address, port: PORT };
          subscriber.next({
            port: PORT,
            interfaces: [iface],
            datagrams$: inbox.asObservable(),
            send: (bytes, to) => this.carry(bytes, from, to.address, false),
            broadcast: (bytes) => {
              for (const other of this.inboxes.keys())
                if (other !== address) this.carry(bytes, from, other, true);
            },
            stats: () => ({ received: 0, ownDropped: 0, sent: 0, sendErrors: 0 }),
          });
          return () => {
            session.closed = this.scheduler.now();
            this.inboxes.delete(address);
            inbox.complete();
          };
        }),
      listenTcp: () => new Observable(),
      // Every peer on this wire is like an original station: it takes no TCP (refused after 3 ms).
      connectTcp: () => timer(3, this.scheduler).pipe(map(() => fail('connection refused'))),
    };
  }

  private carry(bytes: Uint8Array, from: UdpAddress, to: string, broadcast: boolean): void {
    const { delay, copies } = this.rule(decodePacket(bytes), from.address, this.scheduler.now());
    for (let copy = 0; copy < copies; copy++) {
      this.scheduler.schedule(() => {
        this.inboxes.get(to)?.next({ bytes, from, broadcast, at: this.scheduler.now() });
      }, delay);
    }
  }
}

function station(
  scheduler: SchedulerLike,
  wire: Wire,
  address: string,
  hostName: string,
  extensions?: DriverIo['extensions'],
): Driver {
  // A driver with no interface stays off the network, so each station has one (the wire ignores it).
  const iface: LanInterface = { name: 'eth0', address, netmask: '255.255.255.0', broadcast: '10.0.0.255' };
  const net = wire.net(address);
  return lanDriver(config, {
    scheduler,
    logger: silentLogger,
    hostName,
    interfaces: [iface],
    net,
    extensions,
  });
}

/** Two stations on one wire. */
function twoStations(scheduler: TestScheduler, rule?: WireRule) {
  const wire = new Wire(scheduler, rule);
  return {
    wire,
    a: station(scheduler, wire, '10.0.0.1', 'hostA'),
    b: station(scheduler, wire, '10.0.0.2', 'hostB'),
  };
}

/** The events B's listener receives, as `{ time, event }` marbles can compare. */
function listen(driver: Driver): Observable<Delivery> {
  const client = driver.hub.openLocal('listener', { follow: { kind: 'remotes' } });
  assert.ok(client.ok, client.ok ? '' : client.reason);
  return client.value.events$;
}

function sender(driver: Driver, to: string) {
  const client = driver.hub.openLocal('player');
  assert.ok(client.ok);
  return {
    connect: () => assert.deepEqual(driver.hub.connect(client.value.ref, to), { ok: true, value: undefined }),
    send: (event: MidiEvent) => assert.deepEqual(client.value.send(event), { ok: true, value: undefined }),
    close: () => client.value.close(),
  };
}

const delivered = (time: number, event: MidiEvent): Delivery => ({
  time,
  from: 'hostA',
  event: { ...event, date: time },
});

describe('the LAN driver, two stations on an in-memory wire', () => {
  test('G=10, lat=10: a note sent at 503 ms is delivered at 523 ms (date + G + maxLat)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      const { a, b } = twoStations(scheduler);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      const events$ = listen(b);
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503);
      scheduler.schedule(() => player.send(keyOff(60)), 507);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
      //                                    503 sent ─▶ 513 packet ─▶ 523 delivered; 507 ─▶ 527
      expectObservable(events$, '^ 850ms !').toBe('523ms x 3ms y', {
        x: delivered(523, keyOn(60)),
        y: delivered(527, keyOff(60)),
      });
    });
  });

  test('port 255 to a peer that takes no TCP goes over UDP, in the ordinary stream and timing', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      const { a, b } = twoStations(scheduler);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      const events$ = listen(b);
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => {
        player.send(keyOn(60));
        player.send(keyOff(60, { port: 255 }));
        player.send(keyOn(62));
      }, 503);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
      // The port-255 event waited 3 ms for the TCP connection to be refused; it still joins the group.
      expectObservable(events$, '^ 850ms !').toBe('523ms (xzy)', {
        x: delivered(523, keyOn(60)),
        y: delivered(523, keyOff(60, { port: 255 })),
        z: delivered(523, keyOn(62)),
      });
    });
  });

  test('a packet 15 ms late (maxLat 10) is delivered at once, on arrival', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const lateMidi: WireRule = (packet, _from, sentAt) => ({
      delay: packet.ok && packet.value.kind === 'midi' && sentAt >= 600 ? 15 : 0,
      copies: 1,
    });
    scheduler.run(({ expectObservable }) => {
      const { a, b } = twoStations(scheduler, lateMidi);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      const events$ = listen(b);
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503); // on time: 523
      scheduler.schedule(() => player.send(keyOn(62)), 603); // packet dated 613 arrives at 628: late by 15 > 10
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
      expectObservable(events$, '^ 850ms !').toBe('523ms x 104ms y', {
        x: delivered(523, keyOn(60)),
        y: delivered(628, keyOn(62)),
      });
    });
  });

  test('a duplicated packet is delivered once and counted', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const doubled: WireRule = (packet) => ({
      delay: 0,
      copies: packet.ok && packet.value.kind === 'midi' ? 2 : 1,
    });
    let duplicates = -1;
    scheduler.run(({ expectObservable }) => {
      const { a, b } = twoStations(scheduler, doubled);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      const events$ = listen(b);
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503);
      scheduler.schedule(() => {
        const hostA = b.hub.snapshot().clients.find((client) => client.name === 'hostA');
        duplicates = hostA ? (b.statsOf(hostA.ref)?.duplicates ?? -1) : -1;
      }, 800);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
      expectObservable(events$, '^ 850ms !').toBe('523ms x', { x: delivered(523, keyOn(60)) });
    });
    assert.equal(duplicates, 1);
  });

  test("a user's operators run on both paths: A's outbound (channel 0 → 9), B's inbound (an octave up)", () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      const wire = new Wire(scheduler);
      const a = station(scheduler, wire, '10.0.0.1', 'hostA', { outbound: mapChannel({ 0: 9 }) });
      const b = station(scheduler, wire, '10.0.0.2', 'hostB', { inbound: transpose(12) });
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      const events$ = listen(b);
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
      expectObservable(events$, '^ 850ms !').toBe('523ms x', {
        x: delivered(523, keyOn(72, { chan: 9 })),
      });
    });
  });

  test('between msinet stations, dates keep their sub-ms part: sent at 503.3, delivered at 523.3 (type 8)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const midiTypes: string[] = [];
    const recordMidi: WireRule = (packet) => {
      if (packet.ok && packet.value.kind === 'midi') midiTypes.push(packet.value.fine ? 'fine' : 'v1');
      return { delay: 0, copies: 1 };
    };
    const arrivals: number[] = [];
    scheduler.run(() => {
      const { a, b } = twoStations(scheduler, recordMidi);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      listen(b).subscribe(({ time }) => arrivals.push(time));
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      // Fractions a whole-ms date would lose: 503.3 → 503, 506.7 → 507 (and 1/256 ms steps keep them).
      scheduler.schedule(() => player.send(keyOn(60)), 503.3);
      scheduler.schedule(() => player.send(keyOff(60)), 506.7);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
    });
    assert.deepEqual(midiTypes, ['fine']);
    assert.equal(arrivals.length, 2);
    const HALF_STEP = 0.5 / 256;
    arrivals.forEach((at, i) => assert.ok(Math.abs(at - [523.3, 526.7][i]!) <= 2 * HALF_STEP, `${at}`));
  });

  test('to a version-1 station (a HostID with nothing after the name), Midi packets stay type 5', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const received: number[] = [];
    scheduler.run(() => {
      const wire = new Wire(scheduler);
      const a = station(scheduler, wire, '10.0.0.1', 'hostA');
      const running = [a.run$.subscribe()];
      // The original's part: HostID every 50 ms, clock in whole ms, no capabilities.
      wire
        .net('10.0.0.3')
        .openUdp?.({
          port: PORT,
          interfaces: [],
          scheduler,
          logger: silentLogger,
          problems: problemCounter(silentLogger, scheduler),
        })
        .subscribe((endpoint) => {
          endpoint.datagrams$.subscribe(({ bytes }) => received.push(bytes[3] ?? -1));
          const hello = () =>
            endpoint.broadcast(
              encodePacket({ kind: 'hostId', clock: scheduler.now(), name: 'old', extra: new Uint8Array() }),
            );
          running.push(timer(0, 50, scheduler).subscribe(hello));
        });
      const player = sender(a, 'old');
      scheduler.schedule(() => player.connect(), 1400);
      scheduler.schedule(() => player.send(keyOn(60)), 1503.3);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 1900);
    });
    const MIDI = 5;
    assert.deepEqual(
      received.filter((type) => type === MIDI || type === 8),
      [MIDI],
    );
  });

  test('the network is subscribed only while a local client exists (sleeping)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    let sessions: Wire['sessions'] = [];
    scheduler.run(() => {
      const wire = new Wire(scheduler);
      const awakeA = station(scheduler, wire, '10.0.0.1', 'hostA');
      const running = awakeA.run$.subscribe();
      let client: ReturnType<typeof sender> | undefined;
      scheduler.schedule(() => (client = sender(awakeA, 'nobody')), 100);
      scheduler.schedule(() => client?.close(), 300);
      scheduler.schedule(() => (client = sender(awakeA, 'nobody')), 500);
      scheduler.schedule(() => client?.close(), 600);
      scheduler.schedule(() => running.unsubscribe(), 1000);
      sessions = wire.sessions;
    });
    assert.deepEqual(
      sessions.map(({ opened, closed }) => [opened, closed]),
      [
        [100, 300],
        [500, 600],
      ],
    );
  });
});
