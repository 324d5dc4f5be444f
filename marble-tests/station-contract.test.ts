/**
 * The station contract (DESIGN.md, src/wire/station.ts): what every station,
 * LAN or WAN, offers the core, checked in virtual time on an in-memory
 * network (marble-tests/memory-net.ts). A kind of station joins by giving a
 * `StationKit`: how to make one on a host, and how two come to know each
 * other. Every case below runs for every kit.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { switchMap, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DEFAULTS } from '../src/model/config.js';
import type { PeerAddress } from '../src/model/station.js';
import { silentLogger } from '../src/sinks/logger.js';
import { problemCounter, type ProblemCounter } from '../src/sinks/rate-limited-log.js';
import { LAN_LIMITS, lanStation } from '../src/sources/lan-station.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import { hostIdPacket } from '../src/wire/host-id.js';
import type { MidiPacket, Packet } from '../src/wire/packet.js';
import type { Arrival, StationTransport } from '../src/wire/station.js';
import { keyOn } from './fixtures.js';
import { MemoryNet, iface, type WireRule } from './memory-net.js';

interface StationKit {
  readonly name: string;
  readonly port: number;
  /** The limits the kind promises the core. */
  readonly limits: StationTransport['limits'];
  /** A station on the host at `address`; subscribing opens it. */
  make(
    net: MemoryNet,
    address: string,
    scheduler: TestScheduler,
    problems: ProblemCounter,
  ): Observable<StationTransport>;
  /** What a station says when it leaves, as its peer receives it. */
  readonly goodbye: Packet['kind'];
}

const lanKit: StationKit = {
  name: 'LAN',
  port: DEFAULTS.lan.port,
  limits: LAN_LIMITS,
  make: (net, address, scheduler, problems) =>
    net
      .host(address)
      .listenTcp({ port: DEFAULTS.lan.port })
      .pipe(
        switchMap((claim) =>
          lanStation({
            port: DEFAULTS.lan.port,
            interfaces: [iface(address)],
            tcpConnections$: claim.connections$,
            scheduler,
            logger: silentLogger,
            problems,
            net: net.host(address),
          }),
        ),
      ),
  goodbye: 'bye',
};

/** Every kind of station the driver can pick. */
const KITS: readonly StationKit[] = [lanKit];

const A = '10.0.0.1';
const B = '10.0.0.2';

const midi = (serial: number, pitch: number): MidiPacket => ({
  kind: 'midi',
  serial,
  date: 1000 + serial,
  offset: 0,
  events: Uint8Array.from(encodeEvent(keyOn(pitch), 0)),
});

/** Two stations of one kind, A and B, each with what it received; `run` drives them in virtual time. */
function pair(kit: StationKit, rule?: WireRule) {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const net = new MemoryNet(scheduler, rule);
  const problems = { A: problemCounter(silentLogger, scheduler), B: problemCounter(silentLogger, scheduler) };
  const got: Record<'A' | 'B', Arrival[]> = { A: [], B: [] };
  const stations: Partial<Record<'A' | 'B', StationTransport>> = {};
  const running: Partial<Record<'A' | 'B', Subscription>> = {};
  const open = (who: 'A' | 'B') => {
    running[who] = kit.make(net, who === 'A' ? A : B, scheduler, problems[who]).subscribe((station) => {
      stations[who] = station;
      station.arrivals$.subscribe((arrival) => got[who].push(arrival));
    });
  };
  const peer = (who: 'A' | 'B'): PeerAddress => ({ address: who === 'A' ? A : B, port: kit.port });
  const station = (who: 'A' | 'B'): StationTransport => {
    const s = stations[who];
    assert.ok(s, `station ${who} is open`);
    return s;
  };
  return { scheduler, net, problems, got, open, peer, station, running };
}

for (const kit of KITS) {
  describe(`the station contract: ${kit.name}`, () => {
    test('subscribing opens it and emits one transport with the limits of its kind', () => {
      const { scheduler, open, station } = pair(kit);
      scheduler.run(() => {
        open('A');
        scheduler.schedule(() => assert.deepEqual(station('A').limits, kit.limits), 1);
      });
    });

    test("announce: the peer's arrivals$ gets the HostID from the announcer's address, stamped on arrival", () => {
      const { scheduler, open, station, got, peer } = pair(kit, () => ({ delay: 2, copies: 1 }));
      scheduler.run(() => {
        open('A');
        open('B');
        scheduler.schedule(
          () => station('A').announce(hostIdPacket('hostA', scheduler.now(), { reliable: true })),
          10,
        );
      });
      const hellos = got.B.filter((a) => a.packet.kind === 'hostId');
      assert.equal(hellos.length, 1);
      const [hello] = hellos;
      assert.deepEqual(hello?.from, peer('A'));
      assert.equal(hello?.at, 12, 'stamped when it arrived: sent at 10, 2 ms on the wire');
      assert.ok(hello?.packet.kind === 'hostId' && hello.packet.name === 'hostA');
    });

    test("send realtime: the packet arrives on the peer's 'udp' stream, as sent", () => {
      const { scheduler, open, station, got, peer } = pair(kit);
      scheduler.run(() => {
        open('A');
        open('B');
        scheduler.schedule(() => station('A').send(peer('B'), 'realtime', midi(1, 60)), 10);
      });
      assert.deepEqual(
        got.B.map((a) => [a.stream, a.from, a.packet]),
        [['udp', peer('A'), midi(1, 60)]],
      );
    });

    test("send reliable: every packet arrives, in order, on the peer's 'tcp' stream, while UDP loses everything", () => {
      const losesAllUdp: WireRule = () => ({ delay: 0, copies: 0 });
      const { scheduler, open, station, got, peer } = pair(kit, losesAllUdp);
      scheduler.run(() => {
        open('A');
        open('B');
        scheduler.schedule(() => {
          for (let serial = 1; serial <= 20; serial++)
            station('A').send(peer('B'), 'reliable', midi(serial, 40 + serial));
        }, 10);
      });
      assert.deepEqual(
        got.B.map((a) => [a.stream, a.from.address, a.packet.kind === 'midi' && a.packet.serial]),
        Array.from({ length: 20 }, (_, i) => ['tcp', A, i + 1]),
      );
    });

    test('bad bytes are counted and logged by the station, never emitted; what follows still arrives', () => {
      const { scheduler, net, open, station, got, peer, problems } = pair(kit);
      scheduler.run(() => {
        open('B');
        // A raw host on the network, as a hostile one would be: garbage, then a valid packet.
        net
          .host(A)
          .openUdp({ port: kit.port, interfaces: [iface(A)] })
          .subscribe((raw) => {
            scheduler.schedule(() => {
              raw.send(Uint8Array.from([0x10, 0x01, 0x01, 0x05, 0xff]), peer('B'));
              raw.send(Uint8Array.from([1, 2, 3]), peer('B'));
            }, 5);
          });
        scheduler.schedule(() => {
          open('A');
        }, 6);
        scheduler.schedule(() => station('A').send(peer('B'), 'realtime', midi(1, 60)), 10);
      });
      assert.deepEqual(
        got.B.map((a) => a.packet.kind),
        ['midi'],
      );
      const counted = Object.values(problems.B.counts()).reduce((sum, n) => sum + n, 0);
      assert.equal(counted, 2);
    });

    test(`unsubscribing says goodbye (${kit.goodbye}) to the peer, then closes every socket`, () => {
      const { scheduler, net, open, station, got, running, peer } = pair(kit);
      scheduler.run(() => {
        open('A');
        open('B');
        // A reliable link is open too: it must close with the station.
        scheduler.schedule(() => station('A').send(peer('B'), 'reliable', midi(1, 60)), 5);
        scheduler.schedule(() => running.A?.unsubscribe(), 20);
      });
      const fromA = got.B.filter((a) => a.from.address === A).map((a) => a.packet.kind);
      assert.deepEqual(fromA, ['midi', kit.goodbye]);
      assert.deepEqual(
        net.udpSessions.filter((s) => s.address === A).map((s) => [s.opened, s.closed]),
        [[0, 20]],
      );
      assert.equal(net.openTcp(A), 0, 'no TCP connection of A is left open');
    });
  });
}
