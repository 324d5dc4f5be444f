/**
 * The LAN station (SPEC §6), one side of the station seam (wire/station.ts):
 * what only a LAN does. Subscribing opens the UDP sockets on every interface
 * and emits the transport; unsubscribing broadcasts Bye, then closes them, so
 * a sleeping driver holds no UDP socket and is invisible.
 *
 * - `announce`: HostID to the broadcast address of every interface.
 * - `send` realtime: unicast UDP to the peer's address on the driver port.
 * - `send` reliable (port 255): over TCP to the peer's driver port, connected
 *   at the first such packet and kept while the station lives. While it
 *   connects, packets wait (bounded); when nothing takes TCP there they are
 *   dropped, counted and logged: peers that take no TCP (version-1 stations)
 *   never get reliable packets (they do not announce it, routePort255).
 * - `arrivals$`: datagrams decoded (a Midi datagram to a broadcast address is
 *   an original's port-255 stream: `broadcast`), and packets of the TCP
 *   connections peers open to us (`tcp`); bad bytes are counted and logged.
 *
 * The TCP listener itself is the driver's port claim, held for its whole life
 * (a second driver on the port is refused even while this one sleeps); the
 * station takes the connections it accepts while awake.
 */
import {
  EMPTY,
  Observable,
  Subscription,
  finalize,
  merge,
  mergeMap,
  retry,
  share,
  type SchedulerLike,
} from 'rxjs';
import type { EventPath } from '../model/pipeline.js';
import { peerKey, type PeerAddress, type StationLimits } from '../model/station.js';
import type { Logger } from '../sinks/logger.js';
import type { ProblemCounter } from '../sinks/rate-limited-log.js';
import { decodePacket, encodePacket } from '../wire/codec.js';
import { LAN_MAX_EVENT_BYTES, type Packet } from '../wire/packet.js';
import type { Arrival, StationTransport } from '../wire/station.js';
import type { LanInterface } from './interfaces.js';
import { lanUdp, type LanUdpEndpoint } from './lan-udp.js';
import { tcpConnect, type TcpConnection } from './reliable-tcp.js';

export const LAN_LIMITS: StationLimits = {
  remoteTimeoutMs: 1000,
  maxRemotes: 256,
  maxEventBytes: LAN_MAX_EVENT_BYTES,
  completionTimeoutMs: 0,
};

/** The sockets a LAN station opens; real ones unless a test runs stations on an in-memory network. */
export interface LanNet {
  openUdp: typeof lanUdp;
  connectTcp: typeof tcpConnect;
}

export interface LanStationOptions {
  port: number;
  interfaces: readonly LanInterface[];
  /** Connections the driver's TCP listener accepts (its port claim). */
  tcpConnections$: Observable<TcpConnection>;
  scheduler: SchedulerLike;
  logger: Logger;
  problems: ProblemCounter;
  net?: Partial<LanNet>;
}

/** Waking right after sleeping can find the last sockets still closing (they wait for the Bye to leave). */
const REBIND_TRIES = 5;
const REBIND_DELAY_MS = 20;
/** Bytes of port-255 packets that may wait for one peer's TCP connection. */
const MAX_WAITING_BYTES = 1024 * 1024;

const BYE = encodePacket({ kind: 'bye' });

export function lanStation(options: LanStationOptions): Observable<StationTransport> {
  const { port, scheduler, logger, problems } = options;
  const net: LanNet = { openUdp: lanUdp, connectTcp: tcpConnect, ...options.net };
  return new Observable<StationTransport>((subscriber) => {
    let udp: LanUdpEndpoint | undefined;
    const reliable = reliableLinks(port, net.connectTcp, { scheduler, logger, problems });
    // Its own subscription, not `subscriber`'s: the sockets must outlive the Bye below.
    const sockets = net
      .openUdp({ port, interfaces: options.interfaces, scheduler, logger, problems })
      .pipe(retry({ count: REBIND_TRIES, delay: REBIND_DELAY_MS }))
      .subscribe({
        next: (endpoint) => {
          udp = endpoint;
          logger.info(`awake: announcing on ${endpoint.interfaces.map((i) => i.broadcast).join(', ')}`);
          subscriber.next(transport(endpoint, reliable, options));
        },
        error: (error: unknown) => subscriber.error(error),
      });
    return () => {
      udp?.broadcast(BYE);
      reliable.closeAll();
      sockets.unsubscribe();
      logger.info('asleep: no local client');
    };
  });
}

function transport(
  udp: LanUdpEndpoint,
  reliable: ReturnType<typeof reliableLinks>,
  options: LanStationOptions,
): StationTransport {
  const { port, problems } = options;
  const decoded = (from: PeerAddress, bytes: Uint8Array, at: number, broadcast: boolean): Arrival[] => {
    const result = decodePacket(bytes);
    if (!result.ok) {
      problems(`bad packet from ${from.address}`, result.reason);
      return [];
    }
    const stream = result.value.kind !== 'midi' ? 'udp' : broadcast ? 'broadcast' : 'udp';
    return [{ kind: 'packet', from, stream, at, packet: result.value }];
  };
  const datagrams$ = udp.datagrams$.pipe(mergeMap((d) => decoded(d.from, d.bytes, d.at, d.broadcast)));
  const tcp$ = options.tcpConnections$.pipe(
    mergeMap((connection) => {
      const from: PeerAddress = { address: connection.remote.address, port };
      return connection.packets$.pipe(
        mergeMap(({ bytes, at }) =>
          decoded(from, bytes, at, false).map((arrival): Arrival => ({ ...arrival, stream: 'tcp' })),
        ),
        finalize(() => connection.close()),
      );
    }),
  );
  return {
    arrivals$: merge(datagrams$, tcp$).pipe(share()),
    links$: EMPTY,
    limits: LAN_LIMITS,
    announce: (hostId) => udp.broadcast(encodePacket(hostId)),
    send: (to: PeerAddress, path: EventPath, packet: Packet) => {
      if (path === 'realtime') udp.send(encodePacket(packet), to);
      else reliable.send(to, encodePacket(packet));
    },
  };
}

interface ReliableLink {
  waiting: Uint8Array[];
  bytes: number;
  connection: TcpConnection | undefined;
  run: Subscription;
  /** The station closed while it connected: it delivers what waits, then closes. */
  closing: boolean;
}

/** One TCP connection per peer for port 255, opened on demand; packets wait while it connects. */
function reliableLinks(
  port: number,
  connect: typeof tcpConnect,
  io: { scheduler: SchedulerLike; logger: Logger; problems: ProblemCounter },
) {
  const links = new Map<string, ReliableLink>();
  const lost = (to: PeerAddress, why: string) => io.problems('port 255 lost', `to ${to.address}: ${why}`);

  const open = (to: PeerAddress, key: string, link: ReliableLink) => {
    link.run = connect({ address: to.address, port, ...io })
      .pipe(
        finalize(() => {
          // Refused, failed or closed: the next packet connects again.
          if (links.get(key) === link) links.delete(key);
        }),
      )
      .subscribe((result) => {
        if (!result.ok) return lost(to, `${link.waiting.length} packets: ${result.reason}`);
        link.connection = result.value;
        for (const bytes of link.waiting) result.value.send(bytes);
        link.waiting = [];
        link.bytes = 0;
        if (link.closing) result.value.close();
      });
  };

  return {
    send(to: PeerAddress, bytes: Uint8Array): void {
      const key = peerKey(to);
      const known = links.get(key);
      if (known?.connection !== undefined) {
        if (!known.connection.send(bytes)) lost(to, 'its TCP connection is closed or full');
        return;
      }
      const link = known ?? {
        waiting: [],
        bytes: 0,
        connection: undefined,
        run: Subscription.EMPTY,
        closing: false,
      };
      if (link.bytes + bytes.length > MAX_WAITING_BYTES)
        return lost(to, `over ${MAX_WAITING_BYTES} bytes wait for TCP`);
      link.waiting.push(bytes);
      link.bytes += bytes.length;
      if (known === undefined) {
        links.set(key, link);
        open(to, key, link);
      }
    },
    /**
     * Connections close once what they hold is written (TCP's own graceful close); one still
     * connecting first delivers what waits for it (bounded by the connect timeout): nothing
     * sent on port 255 is lost to the station falling asleep just after it was sent.
     */
    closeAll(): void {
      for (const link of links.values()) {
        if (link.connection === undefined && link.waiting.length > 0) link.closing = true;
        else link.run.unsubscribe();
      }
      links.clear();
    },
  };
}
