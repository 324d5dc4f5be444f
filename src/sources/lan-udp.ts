/**
 * The LAN datagram endpoint (SPEC §6) as a resource that follows its
 * subscription (DESIGN.md): subscribing binds the sockets, and the endpoint is
 * emitted once they are all bound; unsubscribing closes them, so a sleeping
 * driver holds no socket at all.
 *
 * Per interface address A with broadcast address B it binds two sockets on
 * the driver's port:
 * - `A:port`, unicast in, and every send out (broadcast enabled);
 * - `B:port`, broadcasts in (once per distinct B: aliases in one subnet share it).
 * Linux delivers a datagram to the socket bound to its destination, so each
 * datagram knows whether it was broadcast. That separates an original
 * station's port-255 stream, which it sends to the broadcast address, from its
 * unicast Midi stream (`original-peer/captures/lan.jsonl`). Node has no
 * IP_PKTINFO, hence the second socket.
 *
 * No SO_REUSEADDR: a second driver on the same port (msinet, or the original,
 * which binds 0.0.0.0) makes the bind fail, reported as `PortInUseError`.
 *
 * Datagrams from this machine's own addresses on the driver's own port are
 * this station's own broadcasts coming back: they are dropped and counted, so a
 * station never lists itself.
 *
 * Use in the driver:
 * ```ts
 * lanUdp({ port, interfaces }).pipe(
 *   switchMap((udp) => merge(
 *     udp.datagrams$.pipe(decode...),
 *     outbound$.pipe(tap((p) => p.to ? udp.send(p.bytes, p.to) : udp.broadcast(p.bytes)), ignoreElements()),
 *   )),
 *   share(),
 * )
 * ```
 */
import { createSocket, type Socket } from 'node:dgram';
import { asyncScheduler, Observable, Subject, type SchedulerLike } from 'rxjs';
import { problemCounter, type ProblemCounter } from '../sinks/rate-limited-log.js';
import { silentLogger, type Logger } from '../sinks/logger.js';
import { bindError } from './bind-error.js';
import { sameSubnet, type LanInterface } from './interfaces.js';

export interface UdpAddress {
  address: string;
  port: number;
}

/** One datagram as it arrived. */
export interface Datagram {
  bytes: Uint8Array;
  from: UdpAddress;
  /** Sent to a broadcast address (else to this station's own address). */
  broadcast: boolean;
  /** Arrival time, `scheduler.now()`. */
  at: number;
}

export interface LanUdpStats {
  /** Datagrams emitted on `datagrams$`. */
  received: number;
  /** This station's own datagrams that came back, dropped. */
  ownDropped: number;
  /** Datagrams handed to a socket (one that fails later counts in `sendErrors` too). */
  sent: number;
  /** Sends that failed (counted and logged, never thrown). */
  sendErrors: number;
}

export interface LanUdpEndpoint {
  readonly port: number;
  readonly interfaces: readonly LanInterface[];
  /** Hot: every datagram from now on; completes when the endpoint closes. */
  readonly datagrams$: Observable<Datagram>;
  /** Send to one station, from the interface on its subnet (else the first). Never throws. */
  send(bytes: Uint8Array, to: UdpAddress): void;
  /** Send to the broadcast address of every interface, on the driver's port. Never throws. */
  broadcast(bytes: Uint8Array): void;
  stats(): LanUdpStats;
}

export interface LanUdpOptions {
  port: number;
  /** From `selectInterfaces` / `readInterfaces`; at least one. */
  interfaces: readonly LanInterface[];
  /** Addresses whose datagrams on `port` are our own; default: the interfaces' addresses. */
  ownAddresses?: readonly string[];
  scheduler?: SchedulerLike;
  logger?: Logger;
  /** Where send and socket errors are counted; default: one over `logger`. */
  problems?: ProblemCounter;
  /** Bytes; the kernel caps it at net.core.rmem_max. */
  recvBufferSize?: number;
}

export const DEFAULT_RECV_BUFFER_SIZE = 4 * 1024 * 1024;

interface Bound {
  iface: LanInterface;
  socket: Socket;
}

function bindSocket(address: string, port: number, recvBufferSize: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', recvBufferSize });
    const onError = (error: Error) => {
      socket.close();
      reject(bindError('UDP', port, address, error));
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export function lanUdp(options: LanUdpOptions): Observable<LanUdpEndpoint> {
  const { port, interfaces } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const recvBufferSize = options.recvBufferSize ?? DEFAULT_RECV_BUFFER_SIZE;

  return new Observable<LanUdpEndpoint>((subscriber) => {
    const problems = options.problems ?? problemCounter(options.logger ?? silentLogger, scheduler);
    const own = new Set(options.ownAddresses ?? interfaces.map((iface) => iface.address));
    const stats: LanUdpStats = { received: 0, ownDropped: 0, sent: 0, sendErrors: 0 };
    const datagrams = new Subject<Datagram>();
    const sockets: Socket[] = [];
    let closed = false;

    const listen = (socket: Socket, broadcast: boolean) => {
      socket.on('message', (bytes, rinfo) => {
        if (rinfo.port === port && own.has(rinfo.address)) {
          stats.ownDropped += 1;
          return;
        }
        stats.received += 1;
        datagrams.next({
          bytes,
          from: { address: rinfo.address, port: rinfo.port },
          broadcast,
          at: scheduler.now(),
        });
      });
      socket.on('error', (error) => problems('udp socket error', error.message));
    };

    const sendFrom = (socket: Socket | undefined, bytes: Uint8Array, to: UdpAddress) => {
      const failed = (error: unknown) => {
        stats.sendErrors += 1;
        problems(
          'udp send failed',
          `to ${to.address}:${to.port}: ${error instanceof Error ? error.message : String(error)}`,
        );
      };
      if (closed || socket === undefined) return failed(new Error('endpoint closed'));
      try {
        inFlight += 1;
        socket.send(bytes, to.port, to.address, (error) => {
          inFlight -= 1;
          if (error) failed(error);
          if (closed && inFlight === 0) closeSockets();
        });
        stats.sent += 1;
      } catch (error) {
        inFlight -= 1;
        failed(error);
      }
    };

    // dgram looks the destination up before it sends, a tick later: closing at once would
    // drop what was just sent — the Bye above all. So the sockets close when sends are done.
    let inFlight = 0;
    let socketsClosed = false;
    const closeSockets = () => {
      if (socketsClosed) return;
      socketsClosed = true;
      for (const socket of sockets) socket.close();
    };

    // A bind that completes after unsubscribe closes at once instead of leaking.
    const keep = (socket: Socket): Socket | undefined => {
      if (closed) {
        socket.close();
        return undefined;
      }
      sockets.push(socket);
      return socket;
    };

    const open = async (): Promise<LanUdpEndpoint> => {
      const unicast: Bound[] = [];
      for (const iface of interfaces) {
        if (unicast.some((bound) => bound.iface.address === iface.address)) continue;
        const socket = keep(await bindSocket(iface.address, port, recvBufferSize));
        if (socket === undefined) break;
        socket.setBroadcast(true);
        listen(socket, false);
        unicast.push({ iface, socket });
      }
      const broadcasts = [...new Set(interfaces.map((iface) => iface.broadcast))];
      for (const address of broadcasts) {
        const socket = keep(await bindSocket(address, port, recvBufferSize));
        if (socket === undefined) break;
        listen(socket, true);
      }
      const senderFor = (to: string) =>
        (unicast.find(({ iface }) => sameSubnet(iface.address, to, iface.netmask)) ?? unicast[0])?.socket;
      return {
        port,
        interfaces,
        datagrams$: datagrams.asObservable(),
        send: (bytes, to) => sendFrom(senderFor(to.address), bytes, to),
        broadcast: (bytes) => {
          for (const address of broadcasts) sendFrom(senderFor(address), bytes, { address, port });
        },
        stats: () => ({ ...stats }),
      };
    };

    if (interfaces.length === 0) {
      subscriber.error(new Error('no interface to open the LAN on'));
    } else {
      open().then(
        (endpoint) => {
          if (!closed) subscriber.next(endpoint);
        },
        (error: unknown) => subscriber.error(error),
      );
    }

    return () => {
      closed = true;
      if (inFlight === 0) closeSockets();
      datagrams.complete();
    };
  });
}
