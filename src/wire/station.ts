/**
 * The station seam (DESIGN.md): what a station, LAN or WAN, offers the core.
 * A station is an `Observable<StationTransport>` whose sockets live while it
 * is subscribed; this is the transport it emits once they are open. Above it,
 * the core (remote table, delivery, grouping, statistics) knows no socket.
 */
import type { Observable } from 'rxjs';
import type { EventPath } from '../model/pipeline.js';
import type { CloseReason, LinkChange, PeerAddress, StationLimits, StreamName } from '../model/station.js';
import type { HostIdPacket, Packet } from './packet.js';

/** A decoded packet as it arrived: from whom, on which stream, when (`scheduler.now()`). */
export interface Arrival {
  readonly kind: 'packet';
  readonly from: PeerAddress;
  readonly stream: StreamName;
  readonly at: number;
  readonly packet: Packet;
}

export interface StationTransport {
  /** Hot: every packet decoded from UDP and TCP from now on; bad bytes are counted by the station, not emitted. */
  readonly arrivals$: Observable<Arrival>;
  /** Hot: TCP peers up and down (WAN); empty on a LAN. */
  readonly links$: Observable<LinkChange>;
  readonly limits: StationLimits;
  /** HostID to every peer: broadcast on a LAN, unicast to linked peers on a WAN. */
  announce(hostId: HostIdPacket): void;
  /** A packet to one peer: `realtime` over UDP, `reliable` (port 255) over that peer's TCP. Never throws. */
  send(to: PeerAddress, path: EventPath, packet: Packet): void;
  /** WAN: end the peer's link (TCPBye first, unless it never completed); a LAN has no links. */
  unlink?(peer: PeerAddress, reason: CloseReason): void;
}
