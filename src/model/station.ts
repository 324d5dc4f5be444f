/**
 * What the core knows of a station (DESIGN.md, the station seam): where a peer
 * is, which of its streams a packet came on, and the limits of the station
 * kind (LAN or WAN). The transport itself, whose packets are wire values, is
 * `StationTransport` in wire/station.ts.
 */

/** A peer station: its address and the port its driver uses. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/** One remote station's key in every table: `address:port`. */
export const peerKey = (peer: PeerAddress): string => `${peer.address}:${peer.port}`;

/**
 * The paths a remote's Midi packets take, each its own serial stream: `udp`
 * (unicast Midi), `broadcast` (an original LAN station's port-255 stream, sent to
 * the broadcast address with serials of its own), `tcp` (port 255 over TCP).
 */
export type StreamName = 'udp' | 'broadcast' | 'tcp';

/** Why a remote's client closed. */
export type CloseReason = 'bye' | 'timeout' | 'link down' | 'incomplete' | 'shutdown';

/** The limits and rhythms of a station kind. */
export interface StationLimits {
  /** A remote silent this long is gone (LAN: no HostID for 1 s, SPEC §6). */
  readonly remoteTimeoutMs: number;
  /** At most this many remotes are kept (bounded memory, SPEC §10). */
  readonly maxRemotes: number;
  /** Event bytes per Midi packet (SPEC §5.3): 1468 on a LAN, 480 on a WAN. */
  readonly maxEventBytes: number;
  /**
   * WAN: remotes exist only over a link (TCP), and one whose clock has not locked this
   * long after its link came up is dropped (SPEC §7: 10 s). 0: no links (LAN).
   */
  readonly completionTimeoutMs: number;
}

/** A TCP peer of a WAN station coming up or going down (SPEC §7); a LAN station has none. */
export type LinkChange =
  | { readonly kind: 'linkUp'; readonly peer: PeerAddress; readonly at: number }
  | { readonly kind: 'linkDown'; readonly peer: PeerAddress; readonly at: number; readonly reason: string };
