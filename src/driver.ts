/**
 * The LAN driver as one pipeline (DESIGN.md). Read top to bottom:
 *
 *   hub.localCount$ ─▶ awake? ─▶ station$ (sockets live only while awake: sleeping is refCount 0)
 *   station$ = udp ─▶ decode ─▶ remoteTable ─┬─▶ open/close remote clients
 *              tcp ─▶ decode ─┘              ├─▶ per remote stream: planDelivery ─▶ deliverOnTime ─▶ stuck-note guard ─▶ hub
 *                                            └─▶ Echo replies, rejects counted
 *              hub.outbound$ ─▶ per remote ─▶ port 255? ─▶ groupEvents(G) ─▶ packetize ─▶ TCP | UDP unicast
 *              helloTimer ─▶ HostID broadcast;  on sleep: Bye
 */
import {
  BehaviorSubject,
  EMPTY,
  Observable,
  Subject,
  concatMap,
  defer,
  distinctUntilChanged,
  filter,
  finalize,
  groupBy,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  partition,
  retry,
  scan,
  share,
  shareReplay,
  switchMap,
  take,
  takeUntil,
  tap,
  timer,
  identity,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { driverClientName, type Config } from './model/config.js';
import { createHub, type Hub } from './sinks/hub.js';
import { RELIABLE_PORT, withDate, type MidiEvent } from './model/event.js';
import type { DeliveryPlan, RemoteEvent, RemoteStats } from './model/pipeline.js';
import { fail, type Result } from './model/result.js';
import { clockFilterFor } from './operators/clock-reference.js';
import { deliverOnTime } from './operators/deliver-on-time.js';
import { groupEvents } from './operators/group-events.js';
import { packetizeGroups } from './operators/packetize-groups.js';
import { planStep, relRange } from './operators/plan-delivery.js';
import {
  closeAll,
  emptyTable,
  remoteTable,
  type PeerAddress,
  type TableEffect,
  type TableInput,
  type TableState,
} from './operators/remote-table.js';
import { sleepUntilFirstClient } from './operators/sleep-until-first-client.js';
import { stuckNoteGuard } from './operators/stuck-note-guard.js';
import { helloTimer } from './sources/hello-timer.js';
import type { LanInterface } from './sources/interfaces.js';
import { lanUdp, type LanUdpEndpoint } from './sources/lan-udp.js';
import { tcpConnect, tcpListener, type TcpConnection } from './sources/reliable-tcp.js';
import type { Logger } from './sinks/logger.js';
import { problemCounter } from './sinks/rate-limited-log.js';
import { encodeCapabilities } from './wire/capabilities.js';
import { encodePacket, decodePacket } from './wire/codec.js';
import { splitDate } from './wire/fine-dates.js';
import { LAN_MAX_EVENT_BYTES, type MidiPacket } from './wire/packet.js';

export interface DriverIo {
  /** The driver's clock: the precise scheduler in production, TestScheduler in tests. */
  scheduler: SchedulerLike;
  logger: Logger;
  /** The name HostID packets carry. */
  hostName: string;
  interfaces: readonly LanInterface[];
  /** The sockets; real ones unless a test wires drivers together with subjects. */
  net?: Partial<DriverNet>;
  /** A user's own operators (docs/operators.md): on events from remotes, and on events to them. */
  extensions?: {
    inbound?: MonoTypeOperatorFunction<MidiEvent>;
    outbound?: MonoTypeOperatorFunction<MidiEvent>;
  };
}

export interface DriverNet {
  openUdp: typeof lanUdp;
  listenTcp: typeof tcpListener;
  connectTcp: typeof tcpConnect;
}

const realNet: DriverNet = { openUdp: lanUdp, listenTcp: tcpListener, connectTcp: tcpConnect };

export interface Driver {
  readonly hub: Hub;
  /** Subscribe to run the driver; unsubscribe to stop it (Bye first). */
  readonly run$: Observable<never>;
  readonly awake$: Observable<boolean>;
  status(): Record<string, unknown>;
  statsOf(ref: number): RemoteStats | undefined;
}

const MAX_REMOTES = 256;
const REMOTE_NAME_MAX = 31;
const REMOTE_TIMEOUT_MS = 1000;
const TICK_MS = 100;
const REBIND_TRIES = 5;
const REBIND_DELAY_MS = 20;
/** A release for lost packets comes this long before the packet after them plays. */
const RELEASE_LEAD_MS = 0.5;

type PacketEffect = Extract<TableEffect, { kind: 'packet' }>;
interface PlannedPacket {
  plan: DeliveryPlan;
  releasesNotes: boolean;
}

/** When a plan's first and last events are due. */
function dueRange(plan: DeliveryPlan): [number, number] {
  const [first, last] = relRange(plan.events);
  return [plan.at + first, plan.at + last];
}

const BYE = encodePacket({ kind: 'bye' });

export function lanDriver(config: Config, io: DriverIo): Driver {
  const { scheduler, logger } = io;
  const net: DriverNet = { ...realNet, ...io.net };
  const problems = problemCounter(logger, scheduler);
  const pending = new PendingEvents();
  const hub = createHub({
    driverName: driverClientName(config.mode, config.port),
    scheduler,
    drained: (remotes) => pending.drained(remotes),
  });

  let table: TableState = emptyTable;
  /** Hub ref of each open remote, by peer key, and back. */
  const refOf = new Map<string, number>();
  const keyOf = new Map<number, string>();
  const tableInputs = new Subject<TableInput>();
  /** Hub refs of remotes as they close. */
  const closedRefs = new Subject<number>();
  /** When the last event each remote sent is due (its latest delivery plan). */
  const lastDue = new Map<string, number>();
  /** Remotes whose hanging notes end now: their stream lost packets (timed by `deliveries`). */
  const gapReleases = new Subject<string>();
  const extensions = {
    inbound: io.extensions?.inbound ?? identity,
    outbound: io.extensions?.outbound ?? identity,
  };
  const awake$ = hub.localCount$.pipe(
    map((count) => count > 0),
    distinctUntilChanged(),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  const awake = new BehaviorSubject(false);

  /** The network while awake: sockets open on subscribe; on unsubscribe, Bye first, then they close. */
  const station$ = new Observable<never>((subscriber) => {
    if (io.interfaces.length === 0) return undefined;
    let endpoint: LanUdpEndpoint | undefined;
    // Its own subscription, not `subscriber`'s: the sockets must outlive the Bye below.
    const running = net
      .openUdp({ port: config.port, interfaces: io.interfaces, scheduler, logger, problems })
      .pipe(
        // Waking right after sleeping can find the last sockets still closing (they wait for the Bye).
        retry({ count: REBIND_TRIES, delay: REBIND_DELAY_MS }),
        tap((udp) => (endpoint = udp)),
        switchMap((udp) => awakeStation(udp)),
      )
      .subscribe({ error: (error: unknown) => subscriber.error(error) });
    return () => {
      endpoint?.broadcast(BYE);
      for (const effect of closeAll(table, 'shutdown').effects) if (endpoint) applyEffect(effect, endpoint);
      table = emptyTable;
      running.unsubscribe();
      logger.info('asleep: no local client');
    };
  });

  function awakeStation(udp: LanUdpEndpoint): Observable<never> {
    logger.info(`awake: announcing on ${udp.interfaces.map((i) => i.broadcast).join(', ')}`);
    const hostId = () => {
      // The clock in whole ms for every station; its fraction for msinet peers, with the offer of fine dates.
      const clock = splitDate(scheduler.now());
      return encodePacket({
        kind: 'hostId',
        clock: clock.whole >>> 0,
        name: io.hostName,
        extra: encodeCapabilities({ fineDates: { clockFraction: clock.fraction } }),
      });
    };
    const hello$ = helloTimer(scheduler).pipe(tap(() => udp.broadcast(hostId())));
    const ticks$ = new Observable<TableInput>((subscriber) =>
      scheduler.schedule(function () {
        subscriber.next({ kind: 'tick', at: scheduler.now() });
        this.schedule(undefined, TICK_MS);
      }, TICK_MS),
    );
    const datagrams$ = udp.datagrams$.pipe(
      mergeMap((datagram): TableInput[] => {
        const decoded = decodePacket(datagram.bytes);
        if (!decoded.ok) {
          problems(`bad packet from ${datagram.from.address}`, decoded.reason);
          return [];
        }
        const stream = datagram.broadcast && decoded.value.kind === 'midi' ? 'broadcast' : 'udp';
        return [{ kind: 'packet', from: datagram.from, stream, at: datagram.at, packet: decoded.value }];
      }),
    );
    const effects$ = merge(datagrams$, ticks$, tableInputs).pipe(
      remoteTable(
        {
          clock: clockFilterFor(config.maxLatency),
          timeoutMs: REMOTE_TIMEOUT_MS,
          maxRemotes: MAX_REMOTES,
          maxNameLength: REMOTE_NAME_MAX,
        },
        (state) => (table = state),
      ),
      share(),
    );
    // A Bye (or silence) can come before the events its remote sent are due: its client stays
    // until the last of them is delivered. concatMap keeps the effects in order, so an `open`
    // never overtakes a `close` that waits.
    const applied$ = effects$.pipe(
      concatMap((effect) => {
        const wait =
          effect.kind === 'close' ? (lastDue.get(effect.key) ?? -Infinity) + 1 - scheduler.now() : 0;
        return wait > 0 ? timer(wait, scheduler).pipe(map(() => effect)) : of(effect);
      }),
      share(),
    );
    return merge(
      hello$,
      // Deliveries subscribe first: on a close, the stuck-note guard's keyOffs reach the
      // remote's listeners before applyEffect removes its client.
      deliveries(effects$, applied$),
      applied$.pipe(tap((effect) => applyEffect(effect, udp))),
      outbound(udp),
    ).pipe(ignoreElements());
  }

  function applyEffect(effect: TableEffect, udp: LanUdpEndpoint): void {
    switch (effect.kind) {
      case 'open': {
        const added = hub.addRemote(effect.name, effect.from.address);
        if (!added.ok) {
          logger.warn(`${effect.name} : cannot open its client: ${added.reason}`);
          return;
        }
        refOf.set(effect.key, added.value.ref);
        keyOf.set(added.value.ref, effect.key);
        logger.info(`${added.value.name} : connection complete [${effect.from.address}]`);
        return;
      }
      case 'close': {
        const ref = refOf.get(effect.key);
        if (ref === undefined) return;
        hub.removeRemote(ref);
        closedRefs.next(ref);
        refOf.delete(effect.key);
        keyOf.delete(ref);
        lastDue.delete(effect.key);
        logger.info(`${effect.name} : connection closed (${effect.reason})`);
        return;
      }
      case 'gap':
        return;
      case 'echo':
        udp.send(encodePacket({ kind: 'echoReply', payload: effect.payload }), effect.to);
        return;
      case 'rejected':
        problems(`rejected from ${effect.from.address}`, effect.reason);
        return;
      case 'packet':
        return;
    }
  }

  /** Each remote stream's packets → its events at their local delivery times → stuck-note guard → local clients. */
  function deliveries(
    effects$: Observable<TableEffect>,
    applied$: Observable<TableEffect>,
  ): Observable<unknown> {
    const releases$ = merge(
      gapReleases,
      applied$.pipe(
        filter((effect) => effect.kind === 'gap' || effect.kind === 'close'),
        map((effect) => (effect as { key: string }).key),
      ),
    );
    return effects$.pipe(
      filter((effect): effect is PacketEffect => effect.kind === 'packet'),
      groupBy((effect) => `${effect.key}/${effect.stream}`),
      mergeMap((stream$) => {
        const key = stream$.key.slice(0, stream$.key.lastIndexOf('/'));
        return stream$.pipe(
          scan<PacketEffect, PlannedPacket, undefined>(
            (previous, effect) => ({
              plan: planStep(previous?.plan, effect.packet, config.maxLatency),
              releasesNotes: effect.releasesNotes,
            }),
            undefined,
          ),
          tap(({ plan, releasesNotes }) => {
            const [first, last] = dueRange(plan);
            lastDue.set(key, Math.max(lastDue.get(key) ?? -Infinity, last));
            tableInputs.next({ kind: 'count', key, report: plan });
            // Notes left hanging by the lost packets end just before this packet plays,
            // not at once: notes still on their way from before the gap sound first.
            if (releasesNotes) scheduleRelease(key, first - RELEASE_LEAD_MS);
          }),
          map(({ plan }) => plan),
          deliverOnTime(config.late, scheduler),
          extensions.inbound,
          map((event): RemoteEvent => ({ remote: key, event })),
        );
      }),
      stuckNoteGuard(releases$, scheduler),
      tap(({ remote, event }) => {
        const ref = refOf.get(remote);
        if (ref !== undefined) hub.deliver(ref, event);
      }),
    );
  }

  function scheduleRelease(key: string, at: number): void {
    scheduler.schedule(() => gapReleases.next(key), Math.max(0, at - scheduler.now()));
  }

  /** Events local clients send to remotes → packets on the wire. */
  function outbound(udp: LanUdpEndpoint): Observable<unknown> {
    return hub.outbound$.pipe(
      // A remote's group ends with it: its ref may later name another station.
      groupBy((out) => out.remote, {
        duration: (remote$) => closedRefs.pipe(filter((ref) => ref === remote$.key)),
      }),
      mergeMap((remote$) => {
        const ref = remote$.key;
        const key = keyOf.get(ref);
        if (key === undefined) return remote$.pipe(ignoreElements());
        const peer = table.remotes.get(key)?.from ?? parsePeer(key);
        const events$ = remote$.pipe(
          map((out) => out.event),
          extensions.outbound,
          tap(() => pending.add(ref, 1)),
          share(),
        );
        const [reliable$, realtime$] = partition(events$, (event) => event.port === RELIABLE_PORT);
        // Connected when the first port-255 event asks for it; closed when the remote goes.
        const route$ = reliableRoute(peer).pipe(
          takeUntil(closedRefs.pipe(filter((closed) => closed === ref))),
          shareReplay(1),
        );
        const routed$ = reliable$.pipe(
          // Dated before waiting for the connection: it goes out as sent then, not when connected.
          map((event) => (event.date === undefined ? withDate(event, scheduler.now()) : event)),
          mergeMap((event) =>
            route$.pipe(
              take(1),
              map((route) => ({ event, route })),
            ),
          ),
          share(),
        );
        const viaUdp$ = merge(
          realtime$,
          routed$.pipe(
            filter(({ route }) => !route.ok),
            map(({ event }) => event),
          ),
        );
        const viaTcp$ = routed$.pipe(
          mergeMap(({ event, route }) => (route.ok ? [{ event, connection: route.value }] : [])),
        );
        return merge(
          // Fine dates while the remote's HostID offers them; port 255 over TCP goes as version 1.
          stream(
            viaUdp$,
            ref,
            key,
            (packet) => udp.send(encodePacket(packet), peer),
            () => Boolean(table.remotes.get(key)?.fineDates),
          ),
          viaTcp$.pipe(
            groupBy(({ connection }) => connection),
            mergeMap((byConnection$) =>
              stream(byConnection$.pipe(map(({ event }) => event)), ref, key, (packet) => {
                if (!byConnection$.key.send(encodePacket(packet))) {
                  problems(
                    `port 255 to ${peer.address}`,
                    'the TCP connection is closed or full; packet lost',
                  );
                }
              }),
            ),
          ),
        );
      }),
    );
  }

  /** One Midi stream to a remote: grouped, packetized, sent, counted. */
  function stream(
    events$: Observable<MidiEvent>,
    ref: number,
    key: string,
    send: (packet: MidiPacket) => void,
    fineDates: () => boolean = () => false,
  ): Observable<unknown> {
    return events$.pipe(
      groupEvents(config.grouping, scheduler),
      packetizeGroups(LAN_MAX_EVENT_BYTES, fineDates),
      tap(({ packets, events }) => {
        for (const packet of packets) send(packet);
        pending.add(ref, -events);
        tableInputs.next({ kind: 'count', key, report: { kind: 'sent', packets: packets.length, events } });
      }),
    );
  }

  /** Port 255 to a remote: over TCP to its driver port; an original takes no TCP, so over UDP (warned once). */
  function reliableRoute(peer: PeerAddress): Observable<Result<TcpConnection>> {
    return defer(() =>
      net.connectTcp({ address: peer.address, port: config.port, scheduler, logger, problems }),
    ).pipe(
      map((result): Result<TcpConnection> => {
        if (!result.ok) {
          logger.warn(`${peer.address} : takes no TCP (${result.reason}); port 255 goes over UDP`);
          return fail(result.reason);
        }
        return result;
      }),
    );
  }

  /** TCP port-255 packets from msinet peers, as inputs of their remote's `tcp` stream. */
  const tcpInbound$ = net.listenTcp({ port: config.port, scheduler, logger, problems }).pipe(
    switchMap((listener) => listener.connections$),
    mergeMap((connection) => {
      if (!awake.value) {
        connection.close();
        return EMPTY;
      }
      const from: PeerAddress = { address: connection.remote.address, port: config.port };
      return connection.packets$.pipe(
        takeUntil(awake.pipe(filter((isAwake) => !isAwake))),
        finalize(() => connection.close()),
        mergeMap((tcpPacket) => {
          const decoded = decodePacket(tcpPacket.bytes);
          if (!decoded.ok || decoded.value.kind !== 'midi') {
            problems(`bad TCP packet from ${from.address}`, decoded.ok ? decoded.value.kind : decoded.reason);
            return EMPTY;
          }
          return of<TableInput>({
            kind: 'packet',
            from,
            stream: 'tcp',
            at: tcpPacket.at,
            packet: decoded.value,
          });
        }),
      );
    }),
    tap((input) => tableInputs.next(input)),
  );

  const run$ = merge(
    station$.pipe(sleepUntilFirstClient(hub.localCount$)),
    awake$.pipe(tap(awake)),
    tcpInbound$,
  ).pipe(
    ignoreElements(),
    finalize(() => hub.dispose()),
  );

  return {
    hub,
    run$,
    awake$,
    status: () => ({
      awake: awake.value,
      mode: config.mode,
      port: config.port,
      maxLatency: config.maxLatency,
      grouping: config.grouping,
      remotes: [...refOf].map(([key, ref]) => {
        const entry = table.remotes.get(key);
        return { ref, name: entry?.name, address: entry?.from.address, stats: entry?.stats };
      }),
      problems: problems.counts(),
    }),
    statsOf: (ref) => {
      const key = keyOf.get(ref);
      return key === undefined ? undefined : table.remotes.get(key)?.stats;
    },
  };
}

function parsePeer(key: string): PeerAddress {
  const at = key.lastIndexOf(':');
  return { address: key.slice(0, at), port: Number(key.slice(at + 1)) };
}

/** Events handed to the outbound path and not yet on the wire, per remote: `msinet send` waits for 0. */
class PendingEvents {
  private readonly counts = new Map<number, number>();
  private readonly changed = new BehaviorSubject<void>(undefined);

  add(ref: number, n: number): void {
    const count = (this.counts.get(ref) ?? 0) + n;
    if (count > 0) {
      this.counts.set(ref, count);
      return;
    }
    // Only a remote drained is news to `drained`; not every event on its way.
    this.counts.delete(ref);
    this.changed.next();
  }

  drained(remotes: readonly number[]): Observable<void> {
    return this.changed.pipe(
      filter(() => remotes.every((ref) => !this.counts.has(ref))),
      take(1),
    );
  }
}
