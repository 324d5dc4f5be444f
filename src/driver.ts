/**
 * The driver as one pipeline (DESIGN.md); every arrow points downstream:
 *
 *   port claim (the TCP listener, held for the driver's whole life)
 *    └▶ station: LAN while the driver is awake (hub.awake$: sleepUntilFirstClient), or WAN, always
 *        └▶ station.arrivals$ + links$ + ticks ─▶ remoteTable
 *             ├▶ echo ─▶ station.send; rejected ─▶ log
 *             ├▶ appeared ─▶ helloTimer (wake-up burst, period, welcome burst) ─▶ station.announce(HostID)
 *             └▶ remoteLives ─▶ per remote: remoteSession (receivePath, sendPath, remoteStats)
 *                  └▶ serveRemote: its hub client (deliveries, statistics) and station.send (packets)
 */
import {
  EMPTY,
  filter,
  finalize,
  identity,
  ignoreElements,
  merge,
  mergeMap,
  share,
  switchMap,
  tap,
  type Observable,
} from 'rxjs';
import type { Driver, DriverIo } from './driver-io.js';
import { driverClientName, type Config } from './model/config.js';
import { peerKey, type PeerAddress } from './model/station.js';
import { helloTimer } from './operators/hello-timer.js';
import { remoteLives } from './operators/remote-lives.js';
import { remoteSession } from './operators/remote-session.js';
import { remoteTable, tableParamsFor, tableTicks } from './operators/remote-table.js';
import { sleepUntilFirstClient } from './operators/sleep-until-first-client.js';
import { driverStatus } from './sinks/driver-status.js';
import { createHub } from './sinks/hub.js';
import { problemCounter } from './sinks/rate-limited-log.js';
import { serveRemote } from './sinks/remote-client.js';
import { lanStation } from './sources/lan-station.js';
import { tcpListener, type TcpListener } from './sources/reliable-tcp.js';
import { randomStationId } from './sources/station-id.js';
import { afterWarmUp } from './sources/warm-paths.js';
import { byeReport, wanStation } from './sources/wan-station.js';
import { hostIdPacket } from './wire/host-id.js';
import type { StationTransport } from './wire/station.js';

export type { Driver, DriverIo, DriverNet } from './driver-io.js';

export function msinetDriver(config: Config, io: DriverIo): Driver {
  const { scheduler, logger } = io;
  const problems = problemCounter(logger, scheduler);
  const hub = createHub({
    driverName: driverClientName(config.mode, config.port),
    scheduler,
    lingerMs: config.lingerMs ?? 0,
    alwaysAwake: config.mode === 'wan', // a WAN never sleeps: its peers dial it
  });
  const { inbound = identity, outbound = identity } = io.extensions ?? {};
  const stationId = io.stationId ?? randomStationId();
  const session = { maxLatMs: config.maxLatency, late: config.late, periodMs: config.grouping };

  const core = (station: StationTransport): Observable<never> => {
    const { maxEventBytes } = station.limits;
    const effects$ = merge(station.arrivals$, station.links$, tableTicks(scheduler)).pipe(
      remoteTable(tableParamsFor(config.maxLatency, station.limits)),
      share(),
    );
    const remotes$ = effects$.pipe(
      remoteLives(),
      mergeMap((life) =>
        serveRemote({ hub, station, logger, problems }, life.peer, (outbound$) =>
          remoteSession(life, outbound$, { ...session, scheduler, inbound, outbound, maxEventBytes }),
        ),
      ),
    );
    const capabilities = { reliable: true, stationId, udpPort: config.port } as const;
    const newcomers$ = effects$.pipe(filter((effect) => effect.kind === 'appeared'));
    const hello$ = helloTimer(scheduler, newcomers$).pipe(
      tap(() => station.announce(hostIdPacket(io.hostName, scheduler.now(), capabilities))),
    );
    const answers$ = effects$.pipe(
      tap((effect) => {
        if (effect.kind === 'echo')
          station.send(effect.to, 'realtime', { kind: 'echoReply', payload: effect.payload });
        if (effect.kind === 'rejected') problems(`rejected from ${effect.from.address}`, effect.reason);
        if (effect.kind === 'unlink') station.unlink?.(effect.peer, effect.reason);
      }),
    );
    return merge(hello$, remotes$, answers$).pipe(ignoreElements());
  };

  const net = { listenTcp: tcpListener, ...io.net };
  const station = (claim: TcpListener): Observable<never> => {
    const options = { ...config, ...io, problems, tcpConnections$: claim.connections$ };
    if (config.mode === 'wan') {
      const report = (peer: PeerAddress) => byeReport(hub.statsOfPeer(peerKey(peer)));
      return afterWarmUp(wanStation({ ...options, stationId, report })).pipe(switchMap(core)); // a WAN never sleeps
    }
    if (io.interfaces.length === 0) return EMPTY; // no network to wake: local clients only
    return afterWarmUp(lanStation(options)).pipe(switchMap(core), sleepUntilFirstClient(hub.awake$));
  };
  const claim = { port: config.port, ...(io.bind === undefined ? {} : { host: io.bind }) };
  const run$ = net.listenTcp({ ...claim, scheduler, logger, problems }).pipe(
    switchMap(station),
    finalize(() => hub.dispose()),
  );

  return {
    hub,
    run$,
    status: () => driverStatus(config, hub, problems),
    statsOf: (ref) => hub.statsOf(ref),
  };
}
