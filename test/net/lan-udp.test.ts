/**
 * The LAN endpoint on loopback, with real sockets. Loopback has a broadcast
 * address (127.255.255.255) like any /8, so it stands in for an interface
 * here; a peer at 127.0.0.2 on the same port plays a remote station.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asyncScheduler, firstValueFrom, lastValueFrom, type SchedulerLike, type Subscription } from 'rxjs';
import type { LanInterface } from '../../src/sources/interfaces.js';
import { lanUdp, type LanUdpEndpoint } from '../../src/sources/lan-udp.js';
import { PortInUseError } from '../../src/sources/bind-error.js';
import {
  bindUdp,
  closeUdp,
  freeUdpPort,
  nextMessage,
  sendUdp,
  socketsOfThisProcessOn,
  takeWithin,
} from './udp-helpers.js';

const loopback: LanInterface = {
  name: 'lo',
  address: '127.0.0.1',
  netmask: '255.0.0.0',
  broadcast: '127.255.255.255',
};
const PEER = '127.0.0.2';
/** Fails a test that waits forever instead of hanging the run; no test is near it. */
const HANG_GUARD = { timeout: 15_000 };

/** Every arrival is stamped with this scheduler's clock, not the wall clock. */
const frozenClock = (now: number): SchedulerLike => ({
  now: () => now,
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
});

/** Opens the endpoint; the returned subscription closes it. */
async function open(options: Partial<Parameters<typeof lanUdp>[0]> & { port: number }) {
  let subscription: Subscription | undefined;
  const endpoint = await new Promise<LanUdpEndpoint>((resolve, reject) => {
    subscription = lanUdp({ interfaces: [loopback], ...options }).subscribe({ next: resolve, error: reject });
  });
  return { endpoint, close: () => subscription?.unsubscribe() };
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Resolves once no socket of this process is bound to `port`; says how many are left if some stay. */
async function noSocketLeftOn(port: number, withinMs = 2_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (socketsOfThisProcessOn('udp', port) > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(socketsOfThisProcessOn('udp', port), 0, `sockets of this process left on UDP port ${port}`);
}
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('lanUdp on loopback', () => {
  test('tells broadcasts from unicast and stamps arrivals with the scheduler', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const { endpoint, close } = await open({ port, scheduler: frozenClock(4242) });
    const peer = await bindUdp(port, PEER);
    try {
      peer.setBroadcast(true);
      const arrivals = takeWithin(endpoint.datagrams$, 2);
      await sendUdp(peer, bytes('to the station'), port, loopback.address);
      await sendUdp(peer, bytes('to everyone'), port, loopback.broadcast);
      const received = (await arrivals).map((d) => ({
        text: text(d.bytes),
        from: d.from,
        broadcast: d.broadcast,
        at: d.at,
      }));
      received.sort((a, b) => a.text.localeCompare(b.text));
      assert.deepEqual(received, [
        { text: 'to everyone', from: { address: PEER, port }, broadcast: true, at: 4242 },
        { text: 'to the station', from: { address: PEER, port }, broadcast: false, at: 4242 },
      ]);
      assert.equal(endpoint.stats().received, 2);
    } finally {
      await closeUdp(peer);
      close();
    }
  });

  test(
    'sends from its own address and port, so peers see the station on the LAN port',
    HANG_GUARD,
    async () => {
      const port = await freeUdpPort();
      const { endpoint, close } = await open({ port });
      const peer = await bindUdp(port, PEER);
      try {
        const arrival = nextMessage(peer);
        endpoint.send(bytes('hello'), { address: PEER, port });
        const { bytes: got, from } = await arrival;
        assert.equal(text(got), 'hello');
        assert.deepEqual({ address: from.address, port: from.port }, { address: loopback.address, port });
        assert.equal(endpoint.stats().sent, 1);
      } finally {
        await closeUdp(peer);
        close();
      }
    },
  );

  test(
    'drops its own broadcasts coming back, once per broadcast address even with aliases',
    HANG_GUARD,
    async () => {
      const port = await freeUdpPort();
      const alias: LanInterface = { ...loopback, address: '127.0.0.3' };
      const { endpoint, close } = await open({ port, interfaces: [loopback, alias] });
      const peer = await bindUdp(port, PEER);
      try {
        peer.setBroadcast(true);
        const firstSeen = takeWithin(endpoint.datagrams$, 1);
        endpoint.broadcast(bytes('my own hello'));
        // A datagram sent after ours on the same path: once it is in, ours has been handled.
        await sendUdp(peer, bytes('marker'), port, loopback.broadcast);
        const [first] = await firstSeen;
        assert.equal(text(first?.bytes ?? new Uint8Array()), 'marker');
        assert.deepEqual(endpoint.stats(), { received: 1, ownDropped: 1, sent: 1, sendErrors: 0 });
      } finally {
        await closeUdp(peer);
        close();
      }
    },
  );

  test('a datagram from this machine on another port is a station, not itself', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const { endpoint, close } = await open({ port });
    const other = await bindUdp(0, loopback.address);
    try {
      const arrival = takeWithin(endpoint.datagrams$, 1);
      await sendUdp(other, bytes('second driver, other port'), port, loopback.address);
      const [datagram] = await arrival;
      assert.equal(datagram?.from.port, other.address().port);
      assert.equal(datagram?.from.address, loopback.address);
    } finally {
      await closeUdp(other);
      close();
    }
  });

  test('a second driver on the same port is refused with a clear error', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const first = await open({ port });
    try {
      const error = await firstValueFrom(lanUdp({ port, interfaces: [loopback] })).catch((e: unknown) => e);
      assert.ok(error instanceof PortInUseError);
      assert.equal(error.message, `another driver is already using UDP port ${port} on 127.0.0.1`);
      assert.equal(error.port, port);
    } finally {
      first.close();
    }
  });

  test('a bind that fails halfway closes the sockets it had already bound', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const blocker = await bindUdp(port, loopback.broadcast);
    try {
      const error = await firstValueFrom(lanUdp({ port, interfaces: [loopback] })).catch((e: unknown) => e);
      assert.ok(error instanceof PortInUseError);
      assert.equal(error.address, loopback.broadcast);
      // The kernel's count: the blocker's socket is the only one on the port; the one on
      // 127.0.0.1, bound before the broadcast address failed, was closed.
      const deadline = performance.now() + 2_000;
      while (socketsOfThisProcessOn('udp', port) > 1 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(socketsOfThisProcessOn('udp', port), 1, 'only the blocker holds the port');
      await closeUdp(await bindUdp(port, loopback.address));
    } finally {
      await closeUdp(blocker);
    }
  });

  test('unsubscribing closes every socket and completes datagrams$', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const { endpoint, close } = await open({ port });
    const ended = lastValueFrom(endpoint.datagrams$, { defaultValue: 'completed' });
    assert.equal(socketsOfThisProcessOn('udp', port), 2, 'bound on the address and on the broadcast address');
    close();
    assert.equal(await ended, 'completed');
    await noSocketLeftOn(port);
    await closeUdp(await bindUdp(port, loopback.address));
    await closeUdp(await bindUdp(port, loopback.broadcast));
  });

  test('unsubscribing before the sockets are bound leaves none open', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const subscription = lanUdp({ port, interfaces: [loopback] }).subscribe();
    subscription.unsubscribe();
    // Twice, a while apart: a bind that completes after the unsubscription must be undone too.
    for (const waitMs of [50, 250]) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      assert.equal(
        socketsOfThisProcessOn('udp', port),
        0,
        `a socket left on UDP port ${port} after ${waitMs} ms`,
      );
    }
    await closeUdp(await bindUdp(port, loopback.address));
    await closeUdp(await bindUdp(port, loopback.broadcast));
  });

  test('sending never throws: bad addresses and a closed endpoint are counted', HANG_GUARD, async () => {
    const port = await freeUdpPort();
    const { endpoint, close } = await open({ port });
    endpoint.send(bytes('x'), { address: PEER, port: 70000 });
    close();
    endpoint.send(bytes('x'), { address: PEER, port });
    endpoint.broadcast(bytes('x'));
    assert.deepEqual(endpoint.stats(), { received: 0, ownDropped: 0, sent: 0, sendErrors: 3 });
  });

  test('opening with no interface fails instead of waiting forever', HANG_GUARD, async () => {
    const error = await firstValueFrom(lanUdp({ port: 4950, interfaces: [] })).catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /no interface/);
  });
});
