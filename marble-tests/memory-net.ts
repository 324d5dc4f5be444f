/**
 * An in-memory network for whole stations and drivers in virtual time: each
 * host gets the sockets a driver opens (DriverNet), made of subjects on one
 * TestScheduler. UDP obeys a rule (delay, loss, duplication per datagram) and
 * a broadcast reaches every other host; TCP is a reliable, ordered pipe of
 * whole packets, with the rule's delay. Nothing here is real: it is the wire
 * the marble specs of the driver and the station contract run on.
 */
import { AsyncSubject, Observable, Subject, type SchedulerLike } from 'rxjs';
import type { DriverNet } from '../src/driver.js';
import { fail, ok, type Result } from '../src/model/result.js';
import type { LanInterface } from '../src/sources/interfaces.js';
import type { Datagram, LanUdpEndpoint, UdpAddress } from '../src/sources/lan-udp.js';
import type { TcpConnection, TcpListener, TcpPacket } from '../src/sources/reliable-tcp.js';
import { decodePacket } from '../src/wire/codec.js';

/** How the wire treats one UDP datagram: delivered after `delay` ms, `copies` times (0: lost). */
export type WireRule = (
  packet: ReturnType<typeof decodePacket>,
  from: string,
  sentAt: number,
) => { delay: number; copies: number };

export const perfectWire: WireRule = () => ({ delay: 0, copies: 1 });

export const BROADCAST = '10.0.0.255';
export const iface = (address: string): LanInterface => ({
  name: 'eth0',
  address,
  netmask: '255.255.255.0',
  broadcast: BROADCAST,
});

/** TCP takes this long, each way, in this network. */
const TCP_DELAY_MS = 1;

export class MemoryNet {
  readonly #inboxes = new Map<string, Subject<Datagram>>();
  readonly #listeners = new Map<string, Subject<TcpConnection>>();
  /** [open, close] times of each host's UDP sockets. */
  readonly udpSessions: Array<{ address: string; opened: number; closed?: number }> = [];
  #nextPort = 0;
  /** TCP connections open, by the address of either end. */
  readonly #tcpOpen = new Map<string, number>();
  /** Every UDP datagram sent, decoded, with who sent it. */
  readonly datagrams: Array<{
    from: string;
    to: string;
    at: number;
    packet: ReturnType<typeof decodePacket>;
  }> = [];

  constructor(
    readonly scheduler: SchedulerLike,
    public rule: WireRule = perfectWire,
  ) {}

  /** How many TCP connections the host at `address` has open. */
  openTcp(address: string): number {
    return this.#tcpOpen.get(address) ?? 0;
  }

  /** The sockets of the host at `address`. */
  host(address: string): DriverNet {
    return {
      openUdp: ({ port }) => this.#openUdp(address, port),
      openWanUdp: ({ port }) => this.#openUdp(address, port),
      listenTcp: ({ port }) => this.#listen(address, port),
      connectTcp: ({ address: to, port }) => this.#connect(address, to, port),
    };
  }

  /** A UDP socket at address:port; LAN and WAN stations use the same kind (a WAN never broadcasts). */
  #openUdp(address: string, port: number): Observable<LanUdpEndpoint> {
    return new Observable<LanUdpEndpoint>((subscriber) => {
      const inbox = new Subject<Datagram>();
      const session: (typeof this.udpSessions)[number] = { address, opened: this.scheduler.now() };
      this.udpSessions.push(session);
      const self = `${address}:${port}`;
      this.#inboxes.set(self, inbox);
      const from: UdpAddress = { address, port };
      subscriber.next({
        port,
        interfaces: [iface(address)],
        datagrams$: inbox.asObservable(),
        send: (bytes, to) => this.#carry(bytes, from, to, false),
        broadcast: (bytes) => {
          for (const other of [...this.#inboxes.keys()]) {
            const [host = '', otherPort = ''] = other.split(':');
            if (other !== self && Number(otherPort) === port)
              this.#carry(bytes, from, { address: host, port }, true);
          }
        },
        stats: () => ({ received: 0, ownDropped: 0, sent: 0, sendErrors: 0 }),
      });
      return () => {
        session.closed = this.scheduler.now();
        this.#inboxes.delete(self);
        inbox.complete();
      };
    });
  }

  #carry(bytes: Uint8Array, from: UdpAddress, to: UdpAddress, broadcast: boolean): void {
    const packet = decodePacket(bytes);
    this.datagrams.push({
      from: from.address,
      to: broadcast ? BROADCAST : to.address,
      at: this.scheduler.now(),
      packet,
    });
    const { delay, copies } = this.rule(packet, from.address, this.scheduler.now());
    for (let copy = 0; copy < copies; copy++) {
      this.scheduler.schedule(() => {
        this.#inboxes
          .get(`${to.address}:${to.port}`)
          ?.next({ bytes, from, broadcast, at: this.scheduler.now() });
      }, delay);
    }
  }

  #listen(address: string, port: number): Observable<TcpListener> {
    return new Observable<TcpListener>((subscriber) => {
      const key = `${address}:${port}`;
      const connections = new Subject<TcpConnection>();
      this.#listeners.set(key, connections);
      subscriber.next({ port, host: address, connections$: connections.asObservable() });
      return () => {
        this.#listeners.delete(key);
        connections.complete();
      };
    });
  }

  #connect(from: string, to: string, port: number) {
    return new Observable<Result<TcpConnection>>((subscriber) => {
      let mine: TcpConnection | undefined;
      const answer = this.scheduler.schedule(() => {
        const listener = this.#listeners.get(`${to}:${port}`);
        if (listener === undefined || !listener.observed) {
          subscriber.next(fail(`no TCP at ${to}:${port}: connection refused`));
          return subscriber.complete();
        }
        const [client, server] = this.#pipe(
          { address: from, port: 40000 + this.#nextPort++ },
          { address: to, port },
        );
        mine = client;
        client.closed$.subscribe(() => subscriber.complete());
        listener.next(server);
        subscriber.next(ok(client));
      }, TCP_DELAY_MS);
      return () => {
        answer.unsubscribe();
        mine?.close();
      };
    });
  }

  /** Two ends of one connection: what one sends, the other receives, after the TCP delay. */
  #pipe(a: UdpAddress, b: UdpAddress): [TcpConnection, TcpConnection] {
    const closed = new AsyncSubject<string>();
    const inbound = [new Subject<TcpPacket>(), new Subject<TcpPacket>()] as const;
    const count = (change: number) => {
      for (const end of [a.address, b.address]) this.#tcpOpen.set(end, this.openTcp(end) + change);
    };
    count(1);
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      count(-1);
      this.scheduler.schedule(() => {
        inbound.forEach((packets) => packets.complete());
        closed.next('closed');
        closed.complete();
      }, TCP_DELAY_MS);
    };
    const end = (self: 0 | 1, remote: UdpAddress, local: UdpAddress): TcpConnection => ({
      remote,
      local,
      packets$: inbound[self].asObservable(),
      closed$: closed.asObservable(),
      send: (bytes) => {
        if (!open) return false;
        this.scheduler.schedule(
          () => inbound[self === 0 ? 1 : 0].next({ bytes, at: this.scheduler.now() }),
          TCP_DELAY_MS,
        );
        return true;
      },
      close,
      stats: () => ({ packetsIn: 0, packetsOut: 0, bytesOut: 0, queued: 0, overflows: 0 }),
    });
    return [end(0, b, a), end(1, a, b)];
  }
}
