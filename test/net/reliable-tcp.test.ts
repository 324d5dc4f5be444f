/** The port-255 TCP path on loopback, with real sockets. */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import {
  asyncScheduler,
  firstValueFrom,
  lastValueFrom,
  Observable,
  Subscription,
  switchMap,
  toArray,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { PortInUseError } from '../../src/sources/bind-error.js';
import {
  tcpConnect,
  tcpListener,
  type TcpConnection,
  type TcpConnectOptions,
  type TcpListener,
  type TcpListenerOptions,
} from '../../src/sources/reliable-tcp.js';
import { problemCounter } from '../../src/sinks/rate-limited-log.js';
import { silentLogger } from '../../src/sinks/logger.js';
import { encodePacket } from '../../src/wire/codec.js';
import type { Packet } from '../../src/wire/packet.js';
import { socketsOfThisProcessOn, takeWithin } from './udp-helpers.js';

const HOST = '127.0.0.1';
/** Fails a test that waits forever instead of hanging the run; no test is near it. */
const HANG_GUARD = { timeout: 15_000 };

const midi = (serial: number, events: number[]): Packet => ({
  kind: 'midi',
  serial,
  date: 1000 + serial,
  offset: 0,
  events: Uint8Array.from(events),
});
const keyOn = [0x00, 0x07, 0x01, 0x00, 0x03, 0xff, 0x00, 0x3c, 0x64];
const packets: Buffer[] = [
  encodePacket(midi(1, keyOn)),
  encodePacket({ kind: 'echo', payload: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }),
  encodePacket(midi(2, [...keyOn, ...keyOn, ...keyOn])),
  encodePacket(
    midi(
      3,
      Array.from({ length: 480 }, (_, i) => i % 128),
    ),
  ),
  encodePacket({ kind: 'bye' }),
];

const frozenClock = (now: number): SchedulerLike => ({
  now: () => now,
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
});

/** A TCP port nobody listens on right now. */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a listener; `subscription` closes it. */
async function listen(options: Partial<TcpListenerOptions> = {}) {
  const port = options.port ?? (await freeTcpPort());
  const subscription = new Subscription();
  const listener = await new Promise<TcpListener>((resolve, reject) => {
    subscription.add(
      tcpListener({ host: HOST, port, ...options }).subscribe({ next: resolve, error: reject }),
    );
  });
  return { listener, port, subscription };
}

/** Connects with tcpConnect; `subscription` closes the connection. */
async function connectTo(port: number, options: Partial<TcpConnectOptions> = {}) {
  const subscription = new Subscription();
  const connection = await new Promise<TcpConnection>((resolve, reject) => {
    subscription.add(
      tcpConnect({ address: HOST, port, ...options }).subscribe((outcome) =>
        outcome.ok ? resolve(outcome.value) : reject(new Error(outcome.reason)),
      ),
    );
  });
  return { connection, subscription };
}

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const write = (socket: Socket, bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve())));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ended = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('tcpListener and tcpConnect on loopback', () => {
  test(
    'reassembles whole packets from writes split inside headers and bodies, and from coalesced writes',
    HANG_GUARD,
    async () => {
      const { listener, port, subscription } = await listen({ scheduler: frozenClock(777) });
      try {
        const accepted = firstValueFrom(listener.connections$);
        const raw = await rawConnect(port);
        const connection = await accepted;
        const arrivals = takeWithin(connection.packets$, packets.length);
        const stream = Buffer.concat(packets);
        // Byte by byte through the first packet's header, then uneven pieces, then the rest in one write.
        const cuts = [1, 2, 3, 5, 9, 16, 17, 40, 41, 100, 150];
        let from = 0;
        for (const cut of cuts) {
          await write(raw, stream.subarray(from, cut));
          await pause(2);
          from = cut;
        }
        await write(raw, stream.subarray(from));
        const received = await arrivals;
        assert.deepEqual(
          received.map((p) => hex(p.bytes)),
          packets.map(hex),
        );
        assert.ok(received.every((p) => p.at === 777));
        assert.equal(connection.stats().packetsIn, packets.length);
        raw.destroy();
      } finally {
        subscription.unsubscribe();
      }
    },
  );

  test(
    'carries packets both ways between tcpConnect and tcpListener, with TCP_NODELAY addresses known',
    HANG_GUARD,
    async () => {
      const { listener, port, subscription } = await listen();
      const accepted = firstValueFrom(listener.connections$);
      const { connection: outgoing, subscription: client } = await connectTo(port);
      try {
        const incoming = await accepted;
        assert.deepEqual(outgoing.remote, { address: HOST, port });
        assert.deepEqual(incoming.remote, outgoing.local);

        const atServer = takeWithin(incoming.packets$, packets.length);
        const atClient = takeWithin(outgoing.packets$, 1);
        for (const packet of packets) assert.equal(outgoing.send(packet), true);
        assert.equal(incoming.send(packets[0] as Buffer), true);
        assert.deepEqual(
          (await atServer).map((p) => hex(p.bytes)),
          packets.map(hex),
        );
        assert.deepEqual(
          (await atClient).map((p) => hex(p.bytes)),
          [hex(packets[0] as Buffer)],
        );
        assert.equal(outgoing.stats().packetsOut, packets.length);
      } finally {
        client.unsubscribe();
        subscription.unsubscribe();
      }
    },
  );

  test(
    'a refused connection is a value the driver can fall back on, then completes',
    HANG_GUARD,
    async () => {
      const port = await freeTcpPort();
      const outcomes = await lastValueFrom(tcpConnect({ address: HOST, port }).pipe(toArray()));
      assert.equal(outcomes.length, 1);
      const [outcome] = outcomes;
      assert.ok(outcome !== undefined && !outcome.ok);
      assert.match(outcome.reason, new RegExp(`^no TCP at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    },
  );

  test('a connection attempt with no answer gives up when its timer fires', HANG_GUARD, async () => {
    // A scheduler that fires a timer as soon as it is set: "no answer yet", without waiting.
    const delays: number[] = [];
    const impatient: SchedulerLike = {
      now: () => 0,
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) {
        delays.push(delay ?? 0);
        work.call({} as SchedulerAction<T>, state);
        return new Subscription();
      },
    };
    const { port, subscription } = await listen();
    try {
      const outcomes = await lastValueFrom(
        tcpConnect({ address: HOST, port, scheduler: impatient, connectTimeoutMs: 4321 }).pipe(toArray()),
      );
      assert.deepEqual(outcomes, [{ ok: false, reason: `no TCP at 127.0.0.1:${port}: no answer` }]);
      assert.deepEqual(delays, [4321]);
    } finally {
      subscription.unsubscribe();
    }
  });

  test(
    'hostile bytes close only that connection, counted, and the listener serves on',
    HANG_GUARD,
    async () => {
      const problems = problemCounter(silentLogger, asyncScheduler);
      const { listener, port, subscription } = await listen({ problems });
      try {
        const connections = takeWithin(listener.connections$, 2);
        const hostile = await rawConnect(port);
        const hostileGone = ended(hostile);
        await write(hostile, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        await hostileGone;

        const honest = await rawConnect(port);
        const [first, second] = await connections;
        assert.match(await firstValueFrom(first!.closed$), /^framing error: /);
        const arrival = takeWithin(second!.packets$, 1);
        await write(honest, packets[0] as Buffer);
        assert.deepEqual(
          (await arrival).map((p) => hex(p.bytes)),
          [hex(packets[0] as Buffer)],
        );
        assert.equal(problems.counts()['tcp framing error'], 1);
        honest.destroy();
      } finally {
        subscription.unsubscribe();
      }
    },
  );

  test(
    'a peer that reads nothing fills the bounded queue: the connection is closed (default) and counted',
    HANG_GUARD,
    async () => {
      const stalled = await stalledServer();
      const { connection, subscription } = await connectTo(stalled.port, { maxQueueBytes: 64 * 1024 });
      try {
        const accepted = fillQueue(connection);
        assert.ok(accepted < MAX_SENDS, 'the queue never filled');
        assert.equal(connection.stats().overflows, 1);
        assert.match(await firstValueFrom(connection.closed$), /send queue full/);
        assert.equal(connection.send(bigPacket), false);
      } finally {
        subscription.unsubscribe();
        stalled.close();
      }
    },
  );

  test(
    'with onOverflow "drop", a full queue refuses the packet and keeps the connection',
    HANG_GUARD,
    async () => {
      const stalled = await stalledServer();
      const options = { maxQueueBytes: 64 * 1024, onOverflow: 'drop' } as const;
      const { connection, subscription } = await connectTo(stalled.port, options);
      try {
        assert.ok(fillQueue(connection) < MAX_SENDS, 'the queue never filled');
        assert.equal(connection.send(bigPacket), false);
        assert.equal(connection.stats().overflows, 2);
        // Once the peer reads, the queue drains and sending works again.
        stalled.resume();
        let waits = 0;
        while (!connection.send(bigPacket) && waits < 250) {
          waits += 1;
          await pause(20);
        }
        assert.ok(waits < 250, 'the queue never drained');
      } finally {
        subscription.unsubscribe();
        stalled.close();
      }
    },
  );

  test(
    'close() flushes what is queued, but cuts a peer that reads nothing after closeTimeoutMs',
    HANG_GUARD,
    async () => {
      const stalled = await stalledServer();
      const options = { maxQueueBytes: 64 * 1024, onOverflow: 'drop', closeTimeoutMs: 100 } as const;
      const { connection, subscription } = await connectTo(stalled.port, options);
      try {
        assert.ok(fillQueue(connection) < MAX_SENDS, 'the queue never filled');
        connection.close();
        assert.equal(await firstValueFrom(connection.closed$), 'close timed out with data unsent');
      } finally {
        subscription.unsubscribe();
        stalled.close();
      }
    },
  );

  test('a second listener on the same port is refused with a clear error', HANG_GUARD, async () => {
    const { port, subscription } = await listen();
    try {
      const error = await firstValueFrom(tcpListener({ host: HOST, port })).catch((e: unknown) => e);
      assert.ok(error instanceof PortInUseError);
      assert.equal(error.message, `another driver is already using TCP port ${port} on 127.0.0.1`);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('unsubscribing the listener closes its connections and frees the port', HANG_GUARD, async () => {
    const { listener, port, subscription } = await listen();
    const accepted = firstValueFrom(listener.connections$);
    const raw = await rawConnect(port);
    const connection = await accepted;
    const packetsDone = lastValueFrom(connection.packets$, { defaultValue: 'completed' });
    const rawGone = ended(raw);
    // The listener and the connection it accepted; the raw end's local port is another.
    assert.equal(socketsOfThisProcessOn('tcp', port), 2, 'the kernel shows the listener and its connection');
    subscription.unsubscribe();
    await rawGone;
    assert.equal(await packetsDone, 'completed');
    // Our FIN or the peer's answering one may be seen first; either way it closed.
    assert.match(await firstValueFrom(connection.closed$), /^closed/);
    assert.equal(socketsOfThisProcessOn('tcp', port), 0, 'neither the listener nor its connection is left');
    const again = await listen({ port });
    again.subscription.unsubscribe();
  });

  test(
    'unsubscribing the listener under a switchMap: the inner subscriber says its last packet on a connection before it closes',
    HANG_GUARD,
    async () => {
      const port = await freeTcpPort();
      const bye = encodePacket({ kind: 'tcpBye', version: 100, maxLat: 100, late: 0, missing: 0 });
      let stop = (): void => undefined;
      const accepted = new Promise<TcpConnection>((resolve) => {
        // As the driver composes a WAN station over its port claim: the inner teardown runs after the listener's.
        const running = tcpListener({ host: HOST, port })
          .pipe(
            switchMap(
              (listener) =>
                new Observable<never>(() => {
                  let taken: TcpConnection | undefined;
                  const sub = listener.connections$.subscribe((connection) => resolve((taken = connection)));
                  return () => {
                    sub.unsubscribe();
                    taken?.send(bye);
                    taken?.close();
                  };
                }),
            ),
          )
          .subscribe();
        stop = () => running.unsubscribe();
      });
      await pause(50);
      const raw = await rawConnect(port);
      const received: Buffer[] = [];
      raw.on('data', (chunk: Buffer) => received.push(chunk));
      await accepted;
      const rawGone = ended(raw);
      stop();
      await rawGone;
      assert.equal(hex(Buffer.concat(received)), hex(bye), 'the TCPBye came before the FIN');
    },
  );

  test('unsubscribing tcpConnect closes the connection; the other end sees it end', HANG_GUARD, async () => {
    const { listener, port, subscription } = await listen();
    try {
      const accepted = firstValueFrom(listener.connections$);
      const client = tcpConnect({ address: HOST, port }).subscribe();
      const incoming = await accepted;
      client.unsubscribe();
      assert.equal(await firstValueFrom(incoming.closed$), 'closed by peer');
      assert.equal(await lastValueFrom(incoming.packets$, { defaultValue: 'completed' }), 'completed');
    } finally {
      subscription.unsubscribe();
    }
  });

  test('unsubscribing the listener before it listens leaves the port free', HANG_GUARD, async () => {
    const port = await freeTcpPort();
    tcpListener({ host: HOST, port }).subscribe().unsubscribe();
    // Twice, a while apart: a listen that completes after the unsubscription must be undone too.
    for (const waitMs of [50, 250]) {
      await pause(waitMs);
      assert.equal(
        socketsOfThisProcessOn('tcp', port),
        0,
        `a socket left on TCP port ${port} after ${waitMs} ms`,
      );
    }
    const again = await listen({ port });
    again.subscription.unsubscribe();
  });
});

const bigPacket = encodePacket(
  midi(
    9,
    Array.from({ length: 1400 }, () => 0),
  ),
);
const MAX_SENDS = 100_000;

/** Sends until `send` refuses; how many it took (MAX_SENDS: never refused). */
function fillQueue(connection: TcpConnection): number {
  let accepted = 0;
  while (accepted < MAX_SENDS && connection.send(bigPacket)) accepted += 1;
  return accepted;
}

/** A server whose connections read nothing until `resume()`: the sender's queue must fill. */
async function stalledServer() {
  const peers: Socket[] = [];
  const server = createServer((socket) => {
    socket.pause();
    peers.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    resume: () => peers.forEach((peer) => peer.resume()),
    close: () => {
      peers.forEach((peer) => peer.destroy());
      server.close();
    },
  };
}
