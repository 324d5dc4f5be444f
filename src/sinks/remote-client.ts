/**
 * Where one remote's session ends: its client in the hub, for as long as the
 * session runs (DESIGN.md: resources follow subscriptions), and the station
 * its packets leave by. The client opens when the session is subscribed, with
 * its log line (SPEC §9), takes what the session puts out (events for its
 * listeners, its statistics, whether sent events are on their way), and is
 * removed when the session ends or is unsubscribed (the driver sleeps or quits).
 */
import { EMPTY, defer, finalize, ignoreElements, tap, type Observable } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import type { CloseReason } from '../model/station.js';
import type { SessionOutput } from '../operators/remote-session.js';
import type { RemotePeer } from '../operators/remote-table.js';
import type { StationTransport } from '../wire/station.js';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';
import type { ProblemCounter } from './rate-limited-log.js';

export interface RemoteSinks {
  hub: Hub;
  station: StationTransport;
  logger: Logger;
  problems: ProblemCounter;
}

/** Runs `session` (given the events local clients send to the remote) with the remote's client open. */
export function serveRemote(
  { hub, station, logger, problems }: RemoteSinks,
  peer: RemotePeer,
  session: (outbound$: Observable<MidiEvent>) => Observable<SessionOutput>,
): Observable<never> {
  return defer(() => {
    const opened = hub.openRemote(peer.name, peer.from.address, peer.key);
    if (!opened.ok) {
      logger.warn(`${peer.name} : cannot open its client: ${opened.reason}`);
      return EMPTY;
    }
    const client = opened.value;
    let reason: CloseReason = 'shutdown';
    logger.info(`${client.name} : connection complete [${peer.from.address}]`);
    if (!peer.reliable) logger.info(`${client.name} : a version-1 station: port 255 rides its UDP stream`);
    const take = (output: SessionOutput): void => {
      switch (output.kind) {
        case 'delivery':
          return client.deliver(output.event);
        case 'packets':
          for (const packet of output.packets) station.send(peer.from, output.path, packet);
          return;
        case 'busy':
          return client.busy(output.busy);
        case 'stats':
          return client.stats(output.stats);
        case 'closing':
          reason = output.reason;
          return;
        case 'rejected':
          return problems(`rejected from ${peer.from.address}`, output.reason);
      }
    };
    return session(client.outbound$).pipe(
      tap(take),
      ignoreElements(),
      finalize(() => {
        client.close();
        logger.info(`${client.name} : connection closed (${reason})`);
      }),
    );
  });
}
