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
import { Observable, timer, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DEFAULTS, type Config } from '../src/model/config.js';
import { msinetDriver, type Driver, type DriverIo } from '../src/driver.js';
import { mapChannel } from '../src/operators/map-channel.js';
import { transpose } from '../src/operators/transpose.js';
import type { Delivery } from '../src/sinks/hub.js';
import type { MidiEvent } from '../src/model/event.js';
import { silentLogger } from '../src/sinks/logger.js';
import { problemCounter } from '../src/sinks/rate-limited-log.js';
import { decodePacket, encodePacket } from '../src/wire/codec.js';
import type { Packet } from '../src/wire/packet.js';
import { feedPacket, initialStreamParser } from '../src/wire/stream-parser.js';
import { driverConfig, keyOff, keyOn } from './fixtures.js';
import { MemoryNet, iface, type WireRule } from './memory-net.js';

const PORT = DEFAULTS.lan.port;

const config: Config = driverConfig();

function station(
  scheduler: SchedulerLike,
  net: MemoryNet,
  address: string,
  hostName: string,
  extensions?: DriverIo['extensions'],
  settings: Partial<Config> = {},
): Driver {
  return msinetDriver(
    { ...config, ...settings },
    {
      scheduler,
      logger: silentLogger,
      hostName,
      interfaces: [iface(address)],
      net: net.host(address),
      extensions,
    },
  );
}

/** Two stations on one in-memory network. */
function twoStations(scheduler: TestScheduler, rule?: WireRule) {
  const net = new MemoryNet(scheduler, rule);
  return {
    net,
    a: station(scheduler, net, '10.0.0.1', 'hostA'),
    b: station(scheduler, net, '10.0.0.2', 'hostB'),
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

  test('port 255 between msinet stations rides TCP, and is delivered at the same date as its group', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable }) => {
      const { a, b, net } = twoStations(scheduler);
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
      // Both parts of the group are dated 513; the port-255 one connects (1 ms) and arrives at 515:
      // 2 ms later than usual, well within maxLat, so it is due at 523 like the rest.
      scheduler.schedule(() => {
        const udp = net.datagrams.flatMap(({ packet }) =>
          packet.ok && packet.value.kind === 'midi' ? [packet.value] : [],
        );
        assert.equal(udp.length, 1, 'one UDP Midi packet: the port-255 event went over TCP');
      }, 899);
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
      const net = new MemoryNet(scheduler);
      const a = station(scheduler, net, '10.0.0.1', 'hostA', { outbound: mapChannel({ 0: 9 }) });
      const b = station(scheduler, net, '10.0.0.2', 'hostB', { inbound: transpose(12) });
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

  test('to a version-1 station (a HostID with nothing after the name), Midi packets stay type 5, port 255 in the one UDP stream', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const received: Packet[] = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const a = station(scheduler, net, '10.0.0.1', 'hostA');
      const running = [a.run$.subscribe()];
      // The original's part: HostID every 50 ms, clock in whole ms, no capabilities, no TCP.
      net
        .host('10.0.0.3')
        .openUdp({
          port: PORT,
          interfaces: [],
          scheduler,
          logger: silentLogger,
          problems: problemCounter(silentLogger, scheduler),
        })
        .subscribe((endpoint) => {
          endpoint.datagrams$.subscribe(({ bytes }) => {
            const decoded = decodePacket(bytes);
            if (decoded.ok && decoded.value.kind === 'midi') received.push(decoded.value);
          });
          const hello = () =>
            endpoint.broadcast(
              encodePacket({ kind: 'hostId', clock: scheduler.now(), name: 'old', extra: new Uint8Array() }),
            );
          running.push(timer(0, 50, scheduler).subscribe(hello));
        });
      const player = sender(a, 'old');
      scheduler.schedule(() => player.connect(), 1400);
      scheduler.schedule(() => {
        player.send(keyOn(60));
        player.send(keyOn(61, { port: 255 }));
      }, 1503.3);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 1900);
    });
    assert.equal(received.length, 1, 'one Midi packet, both events in it');
    const [packet] = received;
    assert.ok(packet?.kind === 'midi');
    assert.equal(packet.fine, undefined, 'type 5, not fine-dated');
    assert.equal(packet.serial, 1);
    assert.deepEqual(
      feedPacket(initialStreamParser(), packet, false).events.map((e) => [e.type, e.port]),
      [
        ['keyOn', 0],
        ['keyOn', 255],
      ],
    );
  });

  test('the network is subscribed only while a local client exists (sleeping)', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    let sessions: MemoryNet['udpSessions'] = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const awakeA = station(scheduler, net, '10.0.0.1', 'hostA');
      const running = awakeA.run$.subscribe();
      let client: ReturnType<typeof sender> | undefined;
      scheduler.schedule(() => (client = sender(awakeA, 'nobody')), 100);
      scheduler.schedule(() => client?.close(), 300);
      scheduler.schedule(() => (client = sender(awakeA, 'nobody')), 500);
      scheduler.schedule(() => client?.close(), 600);
      scheduler.schedule(() => running.unsubscribe(), 1000);
      sessions = net.udpSessions;
    });
    assert.deepEqual(
      sessions.map(({ opened, closed }) => [opened, closed]),
      [
        [100, 300],
        [500, 600],
      ],
    );
  });

  test('a lost packet releases the notes it would have ended, just before the next packet plays; a Bye releases the rest', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const deliveries: Array<[number, string, number, number]> = [];
    // A's second Midi packet (the keyOff of 60) never arrives.
    let midiPackets = 0;
    const losesSecond: WireRule = (packet) => {
      const isMidi = packet.ok && packet.value.kind === 'midi';
      if (isMidi) midiPackets += 1;
      return { delay: 0, copies: isMidi && midiPackets === 2 ? 0 : 1 };
    };
    scheduler.run(() => {
      const { a, b } = twoStations(scheduler, losesSecond);
      const running = [a.run$.subscribe(), b.run$.subscribe()];
      listen(b).subscribe(({ time, event }) =>
        deliveries.push([
          time,
          event.type,
          'pitch' in event ? event.pitch : -1,
          'vel' in event ? event.vel : -1,
        ]),
      );
      const player = sender(a, 'hostB');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503);
      scheduler.schedule(() => player.send(keyOff(60)), 553); // lost
      scheduler.schedule(() => player.send(keyOn(62)), 603);
      scheduler.schedule(() => player.close(), 700); // A has no client left: it sleeps, and says Bye
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
    });
    assert.deepEqual(deliveries, [
      [523, 'keyOn', 60, 100],
      [622.5, 'keyOff', 60, 64], // the guard's, 0.5 ms before the packet after the gap plays
      [623, 'keyOn', 62, 100],
      [700, 'keyOff', 62, 64], // A left with 62 sounding
    ]);
  });

  test('two remotes that leave at once do not hold each other: each client goes after its own last event', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const seen: Array<[number, string[]]> = [];
    const delivered: number[] = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const a = station(scheduler, net, '10.0.0.1', 'hostA');
      const c = station(scheduler, net, '10.0.0.3', 'hostC');
      // B plays everything 200 ms after its date + G (a WAN-like latency).
      const b = station(scheduler, net, '10.0.0.2', 'hostB', undefined, { maxLatency: 200 });
      const running = [a, b, c].map((d) => d.run$.subscribe());
      listen(b).subscribe(({ time }) => delivered.push(time));
      const player = sender(a, 'hostB');
      const idle = sender(c, 'nobody');
      scheduler.schedule(() => player.connect(), 400);
      scheduler.schedule(() => player.send(keyOn(60)), 503); // due at B at 513 + 200 = 713
      scheduler.schedule(() => {
        player.close();
        idle.close();
      }, 520);
      for (const at of [519, 525, 712, 714]) {
        scheduler.schedule(() => {
          const remotes = b.hub.snapshot().clients.filter((client) => client.kind === 'remote');
          seen.push([at, remotes.map((client) => client.name).sort()]);
        }, at);
      }
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
    });
    assert.deepEqual(seen, [
      [519, ['hostA', 'hostC']],
      [525, ['hostA']], // hostC went at once; hostA stays for its note on its way
      [712, ['hostA']],
      [714, []],
    ]);
    assert.deepEqual(delivered, [713, 713]); // the note, then its keyOff as hostA leaves
  });
});
