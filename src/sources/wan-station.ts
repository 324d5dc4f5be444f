/**
 * The WAN station (SPEC §7), the other side of the station seam
 * (wire/station.ts): what only a WAN does. It never sleeps: subscribing binds
 * its UDP socket and connects to the hosts of `-s`; the TCP listener is the
 * driver's port claim, whose connections it takes. Every TCP connection is a
 * link, identified for the core by `key`: the host and port it dialled, or the
 * address and port a peer came from.
 *
 * - Set-up: a link comes up at connect or accept (`linkUp`) and sends a link
 *   hello (msinet extension, ignored by an original) with its station id: at
 *   once when accepted, and when dialled once the server has shown it is ready
 *   (see `sayHello`); HostIDs go by UDP to every linked peer (`announce`). The core
 *   opens the remote once its clock locks, and drops a link not complete in
 *   10 s (`unlink`).
 * - UDP is taken only from a linked peer, matched by the address it last came
 *   from, by the station id its HostIDs carry (msinet peers: NAT, several
 *   stations on one address), or by its IP alone when one link has it (a
 *   version-1 peer); anything else is counted and ignored, but Echo, answered
 *   to anyone as the original does. What we send goes where the peer's UDP
 *   comes from: through its NAT.
 * - Refusals (TCPCnxRefused, then a graceful close): beyond `-m` accepted
 *   links, reason 1; a second link from a version-1 peer's address, or one
 *   whose hello names a station already linked, reason 2.
 * - Port 255 (`send` reliable) rides the peer's TCP link, one packet per write.
 * - Leaving: TCPBye with the peer's statistics, then a graceful close (never a
 *   reset: it kills an original). A dialled host is dialled again after a drop
 *   or a refusal, with capped, jittered exponential backoff. A host listed twice
 *   (or under two names of one address) is linked once; one that refused us as
 *   already connected while we are linked to its station anyway (two stations
 *   that dial each other) is dialled again only once that link ends.
 */
import {
  EMPTY,
  Observable,
  Subject,
  Subscription,
  defer,
  merge,
  mergeMap,
  repeat,
  share,
  switchMap,
  timer,
  type SchedulerLike,
} from 'rxjs';
import type { WanHost } from '../model/config.js';
import type { EventPath } from '../model/pipeline.js';
import { type CloseReason, type LinkChange, type PeerAddress, type StationLimits } from '../model/station.js';
import type { Logger } from '../sinks/logger.js';
import type { ProblemCounter } from '../sinks/rate-limited-log.js';
import { decodeCapabilities, encodeCapabilities } from '../wire/capabilities.js';
import { decodePacket, encodePacket } from '../wire/codec.js';
import { REFUSAL_REASONS, WAN_MAX_EVENT_BYTES, type Packet, type TcpByePacket } from '../wire/packet.js';
import type { Arrival, StationTransport } from '../wire/station.js';
import { pacedWrites, type PacedWrites } from './paced-writes.js';
import { DEFAULT_MAX_QUEUE_BYTES, tcpConnect, type TcpConnection } from './reliable-tcp.js';
import { wanUdp, type WanUdpEndpoint } from './wan-udp.js';

/** The sockets a WAN station opens; real ones unless a test runs stations on an in-memory network. */
export interface WanNet {
  openWanUdp: typeof wanUdp;
  connectTcp: typeof tcpConnect;
}

/** What a TCPBye tells a peer about it (SPEC §5.1). */
export interface ByeReport {
  late: number;
  missing: number;
}

/** A TCPBye's report from a remote's statistics (none yet: zeros). */
export function byeReport(stats: { late: number; missing: number } | undefined): ByeReport {
  return { late: stats?.late ?? 0, missing: stats?.missing ?? 0 };
}

export interface WanStationOptions {
  port: number;
  /** `-s`: dialled at start, and again after a drop. */
  hosts: readonly WanHost[];
  /** `-m`: links accepted at most. */
  maxClients: number;
  maxLatency: number;
  /** `--bind`: the local address; default every interface. */
  bind?: string;
  /** Random per driver run (capabilities.ts): ties a link's UDP to its TCP. */
  stationId: string;
  tcpConnections$: Observable<TcpConnection>;
  scheduler: SchedulerLike;
  logger: Logger;
  problems: ProblemCounter;
  /** The peer's statistics for its TCPBye. */
  report(peer: PeerAddress): ByeReport;
  net?: Partial<WanNet>;
}

/** SPEC §7: a link not complete within 10 s is dropped; a peer silent for 6 s is gone. */
export const COMPLETION_TIMEOUT_MS = 10_000;
const DEAD_PEER_MS = 6_000;
/** A link that says nothing of itself this long after it came is a version-1 peer's. */
const HELLO_WAIT_MS = 1_000;
/** A refusal's reason in the words the server's own log uses. */
const REFUSAL_WORDS: Readonly<Record<number, string>> = {
  [REFUSAL_REASONS.tooManyClients]: 'too many clients',
  [REFUSAL_REASONS.alreadyConnected]: 'already connected',
  [REFUSAL_REASONS.serverError]: 'server error',
};

/** Backoff for dialling a host again: from 0.5 s, doubling, at most 10 s, ±20 % jitter. */
const REDIAL_FIRST_MS = 500;
const REDIAL_MAX_MS = 10_000;
const TCP_BYE_VERSION = 100;
/**
 * How long a version-1 peer that said TCPBye has to close its end before we close ours. An
 * original closes soon after its TCPBye (it quits, or it answers our FIN); an original that is
 * quitting crashed (SIGSEGV, 3 runs in 30) when our FIN came back while it was tearing down.
 */
const BYE_LINGER_MS = 2_000;
/** How long an original server surely takes to build its side of a connection it accepted. */
const SERVER_SETTLE_MS = 1_000;
/**
 * Port-255 packets to a peer without a link hello leave this far apart: an original reads each
 * recv() as one packet and loses a second one that came with it (docs/protocol.md, WAN). Measured
 * here, bursts of SysEx of 960 bytes (3 packets each) to a native original on a loaded 2-core
 * machine: back to back, 29 of 50 lost; 2 ms apart, 1 run in 3 lost some; 5 ms, 4 in 14; 10 ms,
 * 2 in 16 (100 SysEx each, about 210 packets; the original's reader stalls under load).
 * 10 ms is 48 KB/s: a 60 KB SysEx takes 1.3 s. What an original still loses, it would have lost
 * from another original too, which does not space its packets at all.
 */
export const VERSION1_PACE_MS = 10;

export function wanLimits(options: Pick<WanStationOptions, 'maxClients' | 'hosts'>): StationLimits {
  return {
    remoteTimeoutMs: DEAD_PEER_MS,
    maxRemotes: options.maxClients + options.hosts.length,
    maxEventBytes: WAN_MAX_EVENT_BYTES,
    completionTimeoutMs: COMPLETION_TIMEOUT_MS,
  };
}

interface Link {
  readonly key: PeerAddress;
  readonly connection: TcpConnection;
  readonly dialled: boolean;
  readonly since: number;
  /** Where its UDP comes from and goes to, once known. */
  udp: PeerAddress | undefined;
  /** From its link hello: an msinet station. */
  stationId: string | undefined;
  /** Port 255 to a peer that said no hello (it may not frame its TCP): one packet per write, spaced. */
  readonly paced: PacedWrites;
  /** The reason of the TCPCnxRefused it got, if it got one. */
  refused: number | undefined;
  /** After a version-1 peer's TCPBye: our close, if the peer has not closed first. */
  linger: Subscription | undefined;
  /** Our link hello has gone (see `sayHello`). */
  helloSent: boolean;
}

const sameAddress = (a: PeerAddress | undefined, b: PeerAddress) =>
  a !== undefined && a.address === b.address && a.port === b.port;
const text = (peer: PeerAddress) => `${peer.address}:${peer.port}`;

export function wanStation(options: WanStationOptions): Observable<StationTransport> {
  const net: WanNet = { openWanUdp: wanUdp, connectTcp: tcpConnect, ...options.net };
  const { port, scheduler, problems } = options;
  return net
    .openWanUdp({ port, ...(options.bind ? { address: options.bind } : {}), scheduler, problems })
    .pipe(
      mergeMap(
        (udp) => new Observable<StationTransport>((subscriber) => stationOn(udp, net, options, subscriber)),
      ),
    );
}

function stationOn(
  udp: WanUdpEndpoint,
  net: WanNet,
  options: WanStationOptions,
  subscriber: { next(transport: StationTransport): void },
): () => void {
  const { port, scheduler, logger, problems } = options;
  const links = new Map<string, Link>();
  const arrivals = new Subject<Arrival>();
  const changes = new Subject<LinkChange>();
  const keyOf = (peer: PeerAddress) => text(peer);
  const arrive = (link: Link, packet: Packet, at: number, stream: 'udp' | 'tcp') =>
    arrivals.next({ kind: 'packet', from: link.key, stream, at, packet });
  const hello = encodePacket({
    kind: 'linkHello',
    capabilities: encodeCapabilities({ reliable: true, stationId: options.stationId, udpPort: port }),
  });
  const bye = (peer: PeerAddress): TcpByePacket => ({
    kind: 'tcpBye',
    version: TCP_BYE_VERSION,
    maxLat: options.maxLatency,
    ...options.report(peer),
  });

  const refuse = (connection: TcpConnection, reason: number, why: string) => {
    logger.warn(`${connection.remote.address} : connection refused: ${why}`);
    connection.send(encodePacket({ kind: 'tcpCnxRefused', reason }));
    connection.close();
  };

  /** A version-1 peer's link: no hello came, and it has spoken or had time to. */
  const isVersion1 = (link: Link) =>
    link.stationId === undefined && (link.udp !== undefined || scheduler.now() - link.since >= HELLO_WAIT_MS);

  /** The link a datagram belongs to; binds a link's UDP address when it is first matched. */
  const linkOfDatagram = (from: PeerAddress, packet: Packet): Link | undefined => {
    for (const link of links.values()) if (sameAddress(link.udp, from)) return link;
    const stationId = packet.kind === 'hostId' ? decodeCapabilities(packet.extra).stationId : undefined;
    const candidates = [...links.values()].filter((link) =>
      stationId !== undefined ? link.stationId === stationId : link.key.address === from.address,
    );
    const [only] = candidates;
    if (candidates.length !== 1 || only === undefined) return undefined;
    only.udp = from;
    return only;
  };

  /** The link is over for the core: out of the table of links, and a linkDown. Once per link. */
  const forget = (link: Link, reason: string) => {
    if (links.get(keyOf(link.key)) !== link) return;
    links.delete(keyOf(link.key));
    changes.next({ kind: 'linkDown', peer: link.key, at: scheduler.now(), reason });
  };

  /**
   * The peer said TCPBye: the link is over. An msinet peer's connection is closed now; a
   * version-1 peer (an original) is left to close its end first (see BYE_LINGER_MS).
   */
  const leave = (link: Link) => {
    forget(link, 'bye');
    if (link.stationId !== undefined) return link.connection.close();
    link.linger ??= scheduler.schedule(() => link.connection.close(), BYE_LINGER_MS);
  };

  /**
   * Our link hello, once per link. On an accepted link at once. On a dialled one only when the
   * server has shown it is ready: its own hello (an msinet station), or its first datagram (an
   * original sends its first HostID once its side of the link is built). An original server
   * starts reading the accepted socket before it has built the object that handles what it reads:
   * bytes that come that early crash it ("pure virtual method called", seen under qemu-i386).
   */
  const sayHello = (link: Link) => {
    if (link.helloSent) return;
    link.helloSent = true;
    link.connection.send(hello);
  };

  const onHello = (link: Link, capabilities: Uint8Array) => {
    const { stationId, udpPort } = decodeCapabilities(capabilities);
    if (stationId === undefined) return;
    const other = [...links.values()].find((l) => l !== link && l.stationId === stationId);
    if (other !== undefined && !link.dialled) {
      return refuse(
        link.connection,
        REFUSAL_REASONS.alreadyConnected,
        `already connected (as ${text(other.key)})`,
      );
    }
    link.stationId = stationId;
    link.udp ??= udpPort === undefined ? undefined : { address: link.key.address, port: udpPort };
    sayHello(link);
  };

  const onTcp = (link: Link, bytes: Uint8Array, at: number) => {
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return problems(`bad TCP packet from ${link.key.address}`, decoded.reason);
    const packet = decoded.value;
    switch (packet.kind) {
      case 'midi':
        return arrive(link, packet, at, 'tcp');
      case 'tcpBye':
        logger.info(
          `${link.key.address} : remote connection report: v:${packet.version} maxLat:${packet.maxLat} ` +
            `over:${packet.late} missing:${packet.missing}`,
        );
        arrive(link, packet, at, 'tcp');
        return leave(link);
      case 'tcpCnxRefused': {
        const why = REFUSAL_WORDS[packet.reason] ?? 'for a reason it did not say';
        logger.warn(`${text(link.key)} : refused the connection: ${why} (reason ${packet.reason})`);
        link.refused = packet.reason;
        return link.connection.close();
      }
      case 'linkHello':
        return onHello(link, packet.capabilities);
      default:
        return problems(`unexpected TCP packet from ${link.key.address}`, packet.kind);
    }
  };

  /** A link's life: up now, down when its connection closes (the observable completes then). */
  const linkLife = (
    connection: TcpConnection,
    key: PeerAddress,
    dialled: boolean,
    made?: (link: Link) => void,
  ): Observable<never> =>
    new Observable<never>((done) => {
      const link: Link = {
        key,
        connection,
        dialled,
        since: scheduler.now(),
        udp: dialled ? key : undefined,
        stationId: undefined,
        paced: pacedWrites({
          write: (bytes) => connection.send(bytes),
          paceMs: VERSION1_PACE_MS,
          maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
          scheduler,
          lost: () => problems('port 255 lost', `to ${text(key)}: its TCP link is closed or full`),
        }),
        refused: undefined,
        linger: undefined,
        helloSent: false,
      };
      made?.(link);
      links.set(keyOf(key), link);
      changes.next({ kind: 'linkUp', peer: key, at: scheduler.now() });
      if (!dialled) sayHello(link);
      const reading = connection.packets$.subscribe(({ bytes, at }) => onTcp(link, bytes, at));
      const closing = connection.closed$.subscribe((reason) => {
        link.paced.stop();
        link.linger?.unsubscribe();
        logger.info(`${text(key)} : link closed (${reason})`);
        forget(link, reason);
        done.complete();
      });
      return () => {
        reading.unsubscribe();
        closing.unsubscribe();
        link.linger?.unsubscribe();
      };
    });

  const accepted$ = options.tcpConnections$.pipe(
    mergeMap((connection) => {
      const address = connection.remote.address;
      const accepted = [...links.values()].filter((link) => !link.dialled).length;
      if (accepted >= options.maxClients) {
        refuse(connection, REFUSAL_REASONS.tooManyClients, `too many clients (-m ${options.maxClients})`);
        return EMPTY;
      }
      if ([...links.values()].some((link) => link.key.address === address && isVersion1(link))) {
        refuse(connection, REFUSAL_REASONS.alreadyConnected, 'already connected');
        return EMPTY;
      }
      return linkLife(connection, { address, port: connection.remote.port }, false);
    }),
  );

  const dialled$ = merge(...options.hosts.map((host) => dial(host)));

  function dial(host: WanHost): Observable<never> {
    const target = `${host.host}:${host.port ?? port}`;
    let failures = 0;
    let linkedAt = 0;
    let duplicate = false;
    let last: Link | undefined;
    /** The live link to the station that refused `last` as already connected (we both dialled, say). */
    const alreadyLinked = (refused: Link | undefined) =>
      refused?.refused === REFUSAL_REASONS.alreadyConnected && refused.stationId !== undefined
        ? [...links.values()].find((l) => l !== refused && l.stationId === refused.stationId)
        : undefined;
    return defer(() => {
      // Once, and again after a link ends; failed attempts between are counted (`problems`).
      if (failures === 0) logger.info(`connecting to ${target}...`);
      return net.connectTcp({ address: host.host, port: host.port ?? port, scheduler, logger, problems });
    }).pipe(
      mergeMap((result) => {
        if (!result.ok) {
          problems(`cannot connect to ${target}`, result.reason);
          failures += 1;
          return EMPTY;
        }
        const key = { address: result.value.remote.address, port: host.port ?? port };
        // Listed twice (or under two names of one address): one link is all a peer gets; a
        // second under the same key would take the first one's place, and its end would end both.
        if (links.has(keyOf(key))) {
          logger.warn(`${target} : already linked as ${text(key)} (listed twice?); not dialled again`);
          duplicate = true;
          // Not at once: an original server reads an accepted socket before it has built what
          // handles it, and an end-of-file that comes that early crashes it as early bytes do.
          const extra = result.value;
          scheduler.schedule(() => extra.close(), SERVER_SETTLE_MS);
          return EMPTY;
        }
        linkedAt = scheduler.now();
        return linkLife(result.value, key, true, (link) => (last = link));
      }),
      repeat({
        delay: () => {
          if (duplicate) return EMPTY; // ends this host's dialling: the other entry keeps the link
          // A link that lived past its set-up was a success: start the backoff again.
          if (linkedAt > 0 && scheduler.now() - linkedAt >= COMPLETION_TIMEOUT_MS) failures = 0;
          else if (linkedAt > 0) failures += 1;
          linkedAt = 0;
          const backoff = Math.min(REDIAL_MAX_MS, REDIAL_FIRST_MS * 2 ** Math.max(0, failures - 1));
          const again = timer(backoff * (0.8 + 0.4 * Math.random()), scheduler);
          const other = alreadyLinked(last);
          last = undefined;
          if (other === undefined) return again;
          // Linked to that station already (it dialled us too, or we reached it by another address):
          // dialling again would only be refused again, until that link ends.
          logger.info(
            `${target} : the same station as ${text(other.key)}; dialled again once that link ends`,
          );
          return other.connection.closed$.pipe(switchMap(() => again));
        },
      }),
    );
  }

  const datagrams$ = udp.datagrams$.pipe(
    mergeMap(({ bytes, from, at }) => {
      const decoded = decodePacket(bytes);
      if (!decoded.ok) {
        problems(`bad packet from ${from.address}`, decoded.reason);
        return EMPTY;
      }
      const packet = decoded.value;
      // Echo is answered to anyone, as the original does (8 bytes back for 12: no amplification).
      if (packet.kind === 'echo') arrivals.next({ kind: 'packet', from, stream: 'udp', at, packet });
      else if (packet.kind !== 'hostId' && packet.kind !== 'midi')
        problems(`unexpected UDP from ${from.address}`, packet.kind);
      else {
        const link = linkOfDatagram(from, packet);
        if (link === undefined) problems('UDP from an address with no link', text(from));
        else {
          sayHello(link);
          arrive(link, packet, at, 'udp');
        }
      }
      return EMPTY;
    }),
  );

  const linkOf = (peer: PeerAddress) => links.get(keyOf(peer));
  subscriber.next({
    arrivals$: arrivals.pipe(share()),
    links$: changes.asObservable(),
    limits: wanLimits(options),
    announce: (hostId) => {
      const bytes = encodePacket(hostId);
      for (const link of links.values()) {
        // Until an accepted link says where its UDP is (its hello), or shows itself a version-1
        // peer's (which listens on our port number), there is nowhere sure to send.
        // A dialled link says nothing, on UDP either, until the server has shown it is ready.
        if (!link.helloSent) continue;
        const to = link.udp ?? (isVersion1(link) ? { address: link.key.address, port } : undefined);
        if (to !== undefined) udp.send(bytes, to);
      }
    },
    send: (to: PeerAddress, path: EventPath, packet: Packet) => {
      const link = linkOf(to);
      if (path === 'realtime') return udp.send(encodePacket(packet), link?.udp ?? to);
      const bytes = encodePacket(packet);
      const sent =
        link !== undefined &&
        (link.stationId !== undefined ? link.connection.send(bytes) : link.paced.send(bytes));
      if (!sent) {
        problems('port 255 lost', `to ${text(to)}: its TCP link is closed or full`);
      }
    },
    unlink: (peer: PeerAddress, reason: CloseReason) => {
      const link = linkOf(peer);
      if (link === undefined) return;
      logger.info(`${text(peer)} : dropping the link (${reason})`);
      link.paced.flush();
      if (reason !== 'incomplete') link.connection.send(encodePacket(bye(peer)));
      link.connection.close();
    },
  });
  const running: Subscription = merge(accepted$, dialled$, datagrams$).subscribe();

  return () => {
    for (const link of links.values()) {
      link.paced.flush();
      link.connection.send(encodePacket(bye(link.key)));
      link.connection.close();
    }
    running.unsubscribe();
    arrivals.complete();
    changes.complete();
  };
}
