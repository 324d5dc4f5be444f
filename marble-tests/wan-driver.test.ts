/**
 * The whole driver in WAN mode (SPEC §7), in virtual time on the in-memory
 * network: a server S and clients that dial it. One frame is 1 ms. With
 * -g 10 -lat 50, a link comes up at 1 ms (TCP), HostIDs flow both ways from
 * the first hello tick after it (50 ms), and the clock locks at the 6th
 * agreeing one (350 ms): the remote's client opens on both sides. An event a
 * client sends at 503 leaves at 513 and is delivered at 513 + 50 = 563.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Observable, SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { msinetDriver, type Driver } from '../src/driver.js';
import { DEFAULTS, type Config } from '../src/model/config.js';
import type { MidiEvent } from '../src/model/event.js';
import type { Delivery } from '../src/sinks/hub.js';
import { silentLogger, type Logger } from '../src/sinks/logger.js';
import { driverConfig, keyOn } from './fixtures.js';
import { decodePacket, encodePacket } from '../src/wire/codec.js';
import { MemoryNet, type WireRule } from './memory-net.js';

const PORT = DEFAULTS.wan.port;
const S = '10.0.0.1';

const wanConfig = (hosts: string[], settings: Partial<Config> = {}): Config =>
  driverConfig({
    mode: 'wan',
    port: PORT,
    maxLatency: 50,
    hosts: hosts.map((host) => ({ host })),
    logLevel: 'info',
    ...settings,
  });

/** A logger that keeps its lines, to check what the driver says. */
function recordingLogger(lines: string[]): Logger {
  const keep = (level: string) =>
    ((message: string) => lines.push(`${level}: ${message}`)) as unknown as Logger['info'];
  return { ...silentLogger, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

function station(
  scheduler: SchedulerLike,
  net: MemoryNet,
  address: string,
  hostName: string,
  config: Config,
  lines: string[] = [],
): Driver {
  return msinetDriver(config, {
    scheduler,
    logger: recordingLogger(lines),
    hostName,
    interfaces: [],
    net: net.host(address),
    stationId: Buffer.from(address.split('.').map(Number)).toString('hex').padStart(16, '0'),
  });
}

const remoteNames = (driver: Driver) =>
  driver.hub
    .snapshot()
    .clients.filter((client) => client.kind === 'remote')
    .map((client) => client.name);

function listen(driver: Driver, name = 'listener'): Observable<Delivery> {
  const client = driver.hub.openLocal(name, { follow: { kind: 'remotes' } });
  assert.ok(client.ok);
  return client.value.events$;
}

function player(driver: Driver, to: string) {
  const client = driver.hub.openLocal('player');
  assert.ok(client.ok);
  return {
    connect: () => assert.ok(driver.hub.connect(client.value.ref, to).ok),
    send: (event: MidiEvent) => assert.ok(client.value.send(event).ok),
  };
}

describe('the WAN driver, a server and its clients on an in-memory network', () => {
  test('a client dials the server: both open the other at the clock lock; events go both ways in date + G + maxLat', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const opened: Array<[number, string[], string[]]> = [];
    const got: Array<[string, number, number]> = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const server = station(scheduler, net, S, 'hostS', wanConfig([]));
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S]));
      const running = [server.run$.subscribe(), client.run$.subscribe()];
      listen(server).subscribe(({ time, event }) =>
        got.push(['at S', time, 'pitch' in event ? event.pitch : -1]),
      );
      listen(client).subscribe(({ time, event }) =>
        got.push(['at C', time, 'pitch' in event ? event.pitch : -1]),
      );
      for (const at of [150, 160])
        scheduler.schedule(() => opened.push([at, remoteNames(server), remoteNames(client)]), at);
      const fromC = player(client, 'hostS');
      const fromS = player(server, 'hostC');
      scheduler.schedule(() => {
        fromC.connect();
        fromS.connect();
      }, 400);
      scheduler.schedule(() => fromC.send(keyOn(60)), 503);
      scheduler.schedule(() => fromS.send(keyOn(72)), 603);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 900);
    });
    assert.deepEqual(opened, [
      // Each welcomes the other with a burst on its first HostID over the link, so the
      // 6 samples that lock a clock take 150 ms, not the 350 the period would.
      [150, [], []],
      [160, ['hostC'], ['hostS']], // named by the host name their HostIDs carry (SPEC §7)
    ]);
    assert.deepEqual(got, [
      ['at S', 563, 60],
      ['at C', 663, 72],
    ]);
  });

  test('port 255 rides the link (TCP), not UDP, and keeps its date', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const got: number[] = [];
    let midiDatagrams = -1;
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const server = station(scheduler, net, S, 'hostS', wanConfig([]));
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S]));
      const running = [server.run$.subscribe(), client.run$.subscribe()];
      listen(server).subscribe(({ time }) => got.push(time));
      const fromC = player(client, 'hostS');
      scheduler.schedule(() => fromC.connect(), 400);
      scheduler.schedule(() => fromC.send(keyOn(60, { port: 255 })), 503);
      scheduler.schedule(() => {
        midiDatagrams = net.datagrams.filter(
          ({ packet }) => packet.ok && packet.value.kind === 'midi',
        ).length;
        running.forEach((s) => s.unsubscribe());
      }, 900);
    });
    assert.deepEqual(got, [563]);
    assert.equal(midiDatagrams, 0);
  });

  test('-m 1: a second client is refused with reason 1 and says so; the first keeps its place', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const secondLines: string[] = [];
    const serverLines: string[] = [];
    let listed: string[] = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const server = station(scheduler, net, S, 'hostS', wanConfig([], { maxClients: 1 }), serverLines);
      const first = station(scheduler, net, '10.0.0.2', 'hostC1', wanConfig([S]));
      const second = station(scheduler, net, '10.0.0.3', 'hostC2', wanConfig([S]), secondLines);
      const running = [server.run$.subscribe(), first.run$.subscribe()];
      scheduler.schedule(() => running.push(second.run$.subscribe()), 100);
      scheduler.schedule(() => {
        listed = remoteNames(server);
        running.forEach((s) => s.unsubscribe());
      }, 2000);
    });
    assert.deepEqual(listed, ['hostC1']);
    assert.ok(
      serverLines.includes('warn: 10.0.0.3 : connection refused: too many clients (-m 1)'),
      serverLines.join('\n'),
    );
    assert.ok(
      secondLines.some(
        (line) => line === `warn: ${S}:${PORT} : refused the connection: too many clients (reason 1)`,
      ),
      secondLines.join('\n'),
    );
  });

  test('a host listed twice is linked once: no refusal, and the link lives on', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const clientLines: string[] = [];
    const serverLines: string[] = [];
    const seen: Array<[number, string[], string[]]> = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const server = station(scheduler, net, S, 'hostS', wanConfig([]), serverLines);
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S, S]), clientLines);
      const running = [server.run$.subscribe(), client.run$.subscribe()];
      for (const at of [1000, 12_000])
        scheduler.schedule(() => seen.push([at, remoteNames(server), remoteNames(client)]), at);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 12_100);
    });
    assert.deepEqual(seen, [
      [1000, ['hostC'], ['hostS']],
      [12_000, ['hostC'], ['hostS']],
    ]);
    assert.deepEqual(
      clientLines.filter((line) => /already linked|refused|closed \((?!shutdown)/.test(line)),
      [`warn: ${S}:${PORT} : already linked as ${S}:${PORT} (listed twice?); not dialled again`],
    );
    assert.deepEqual(
      serverLines.filter((line) => /refused|connection closed \((?!shutdown)/.test(line)),
      [],
    );
  });

  test('two stations that dial each other keep one link, and stop dialling the other while it lives', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const lines = { A: [] as string[], B: [] as string[] };
    const seen: Array<[number, string[], string[]]> = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const A = station(scheduler, net, S, 'hostA', wanConfig(['10.0.0.2']), lines.A);
      const B = station(scheduler, net, '10.0.0.2', 'hostB', wanConfig([S]), lines.B);
      const running = [A.run$.subscribe(), B.run$.subscribe()];
      for (const at of [2000, 40_000])
        scheduler.schedule(() => seen.push([at, remoteNames(A), remoteNames(B)]), at);
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 40_100);
    });
    assert.deepEqual(seen, [
      [2000, ['hostB'], ['hostA']],
      [40_000, ['hostB'], ['hostA']],
    ]);
    // Each may refuse the other's dial once (both dialled at once); then no more dialling.
    const refusals = [...lines.A, ...lines.B].filter((line) => / : connection refused: /.test(line));
    assert.ok(refusals.length <= 2, refusals.join('\n'));
    assert.ok(
      [...lines.A, ...lines.B].some((line) =>
        /the same station as .*; dialled again once that link ends$/.test(line),
      ),
    );
  });

  test('after a TCPBye from a version-1 peer, msinet leaves the closing to it, 2 s at most', () => {
    // An original closes its end soon after its TCPBye; one that is quitting may crash if ours comes first.
    const closedAt = { peerCloses: -1, peerStays: -1 };
    for (const [which, peerClosesAt] of [
      ['peerCloses', 600],
      ['peerStays', undefined],
    ] as const) {
      const scheduler = new TestScheduler(assert.deepStrictEqual);
      scheduler.run(() => {
        const net = new MemoryNet(scheduler);
        const server = station(scheduler, net, S, 'hostS', wanConfig([]));
        const running = server.run$.subscribe();
        net
          .host('10.0.0.9')
          .connectTcp({ address: S, port: PORT })
          .subscribe((result) => {
            assert.ok(result.ok);
            const peer = result.value;
            peer.closed$.subscribe(() => (closedAt[which] = scheduler.now()));
            const bye = encodePacket({ kind: 'tcpBye', version: 100, maxLat: 1500, late: 0, missing: 0 });
            scheduler.schedule(() => peer.send(bye), 100);
            if (peerClosesAt !== undefined) scheduler.schedule(() => peer.close(), peerClosesAt);
          });
        scheduler.schedule(() => running.unsubscribe(), 5_000);
      });
    }
    // Linked at 1 ms (the peer counts from there), 1 ms each way: the TCPBye arrives at 102, and the
    // memory pipe closes 1 ms after either end closes it (the peer at 601, msinet at 102 + 2000).
    assert.deepEqual(closedAt, { peerCloses: 602, peerStays: 2103 });
  });

  test('a client says nothing on TCP before the server has shown it is ready (an original server would crash)', () => {
    // A version-1 server: takes the connection, sends its first HostID at 500 ms, never a hello.
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const heard: Array<[number, string]> = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const fake = net.host(S);
      const serving = fake.listenTcp({ port: PORT }).subscribe((listener) =>
        listener.connections$.subscribe((connection) =>
          connection.packets$.subscribe(({ bytes, at }) => {
            const packet = decodePacket(bytes);
            heard.push([at, packet.ok ? packet.value.kind : 'bad']);
          }),
        ),
      );
      const udp = fake
        .openWanUdp({
          port: PORT,
          scheduler,
          problems: Object.assign(() => undefined, { counts: () => ({}) }),
        })
        .subscribe((endpoint) =>
          scheduler.schedule(
            () =>
              endpoint.send(
                encodePacket({ kind: 'hostId', clock: 500, name: 'origS', extra: new Uint8Array() }),
                {
                  address: '10.0.0.2',
                  port: PORT,
                },
              ),
            500,
          ),
        );
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S]));
      const running = client.run$.subscribe();
      scheduler.schedule(() => [running, serving, udp].forEach((s) => s.unsubscribe()), 1_000);
    });
    // The HostID arrives at 500 (the memory net's UDP has no delay): the hello, written then, lands
    // 1 ms later; the TCPBye is the client quitting at 1000.
    assert.deepEqual(heard, [
      [501, 'linkHello'],
      [1001, 'tcpBye'],
    ]);
  });

  test('a TCP peer that says nothing is dropped after 10 s', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    let closedAt = -1;
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const server = station(scheduler, net, S, 'hostS', wanConfig([]));
      const running = server.run$.subscribe();
      net
        .host('10.0.0.9')
        .connectTcp({ address: S, port: PORT })
        .subscribe((result) => {
          assert.ok(result.ok);
          result.value.closed$.subscribe(() => (closedAt = scheduler.now()));
        });
      scheduler.schedule(() => running.unsubscribe(), 12_000);
    });
    // Linked at 1 ms; the first table tick more than 10 s later is at 10.1 s; the close takes 1 ms.
    assert.ok(closedAt > 10_000 && closedAt <= 10_200, `closed at ${closedAt}`);
  });

  test('a server that restarts gets its client back under the same name, with its local connections', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const seen: Array<[number, string[], number]> = [];
    scheduler.run(() => {
      const net = new MemoryNet(scheduler);
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S]));
      const first = station(scheduler, net, S, 'hostS', wanConfig([]));
      const second = station(scheduler, net, S, 'hostS', wanConfig([]));
      const runningClient = client.run$.subscribe();
      const runningFirst = first.run$.subscribe();
      // A synth on the client listens to hostS, connected by hand once.
      const synth = client.hub.openLocal('synth');
      assert.ok(synth.ok);
      scheduler.schedule(() => assert.ok(client.hub.connect('hostS', 'synth').ok), 500);
      scheduler.schedule(() => runningFirst.unsubscribe(), 1000); // the server quits (TCPBye)
      let runningSecond: { unsubscribe(): void } | undefined;
      scheduler.schedule(() => (runningSecond = second.run$.subscribe()), 1500); // and starts again
      const look = (at: number) =>
        scheduler.schedule(() => {
          const state = client.hub.snapshot();
          const hostS = state.clients.find((c) => c.name === 'hostS')?.ref;
          const synthFromS = state.connections.filter(
            (c) => c.src === hostS && c.dst === synth.value.ref,
          ).length;
          seen.push([at, remoteNames(client), synthFromS]);
        }, at);
      [600, 1200, 4000].forEach(look);
      scheduler.schedule(() => {
        runningClient.unsubscribe();
        runningSecond?.unsubscribe();
      }, 4100);
    });
    assert.deepEqual(seen, [
      [600, ['hostS'], 1],
      [1200, [], 0], // gone with its link
      [4000, ['hostS'], 1], // redialled (backoff from 0.5 s), locked again, and connected again
    ]);
  });

  test('a peer whose UDP stops is dropped after 6 s of silence (TCPBye), and the client dials again', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const serverLines: string[] = [];
    // From 1 s on, nothing the client sends by UDP arrives.
    const cut: WireRule = (_packet, from, sentAt) => ({
      delay: 0,
      copies: from === '10.0.0.2' && sentAt >= 1000 ? 0 : 1,
    });
    scheduler.run(() => {
      const net = new MemoryNet(scheduler, cut);
      const server = station(scheduler, net, S, 'hostS', wanConfig([]), serverLines);
      const client = station(scheduler, net, '10.0.0.2', 'hostC', wanConfig([S]));
      const running = [server.run$.subscribe(), client.run$.subscribe()];
      scheduler.schedule(() => running.forEach((s) => s.unsubscribe()), 8000);
    });
    const dropped = serverLines.filter((line) => /: dropping the link \(timeout\)$/.test(line));
    assert.equal(dropped.length, 1, serverLines.join('\n'));
    assert.ok(serverLines.some((line) => line === 'info: hostC : connection closed (timeout)'));
  });
});
