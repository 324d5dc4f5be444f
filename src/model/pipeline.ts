/**
 * The envelopes the operators in `src/operators/` pass along (SPEC §4).
 *
 * Each envelope that feeds the per-remote statistics carries a `kind` tag, so
 * the driver can merge the branches it wants counted into one `remoteStats()`
 * fold. Times are milliseconds: `local` times on our scheduler's clock,
 * `remote` times on the sender's clock (the u32 date of a Midi packet).
 */
import type { MidiEvent } from './event.js';

/** Events for one remote collected over one grouping period (sender side). */
export interface EventGroup {
  kind: 'group';
  /** D: the sender's clock when the group left, to the sub-ms. */
  date: number;
  /**
   * In arrival order; each `date` is relative to round(D) − G (the whole ms a
   * version-1 packet carries), to the sub-ms, within the i16 range.
   */
  events: MidiEvent[];
}

/** The two ways events travel to a remote (SPEC §6, §7). */
export type EventPath = 'reliable' | 'realtime';

/** A group split by path: port-255 events on the reliable path, the rest realtime. */
export interface RoutedGroup extends EventGroup {
  path: EventPath;
}

/** What serial tracking reads from a received Midi packet (a decoded `MidiPacket` fits). */
export interface SerialStamped {
  /** From 1, +1 per packet of one stream (u32). */
  serial: number;
  /** Sender clock at collection; 0 marks a continuation packet. */
  date: number;
}

/** What serial tracking decided about one received packet of one stream. */
export interface SerialVerdict<T extends SerialStamped = SerialStamped> {
  kind: 'serial';
  packet: T;
  /** `duplicate`: the serial just kept again; `stale`: older than the last one kept. Only `keep` goes on. */
  verdict: 'keep' | 'duplicate' | 'stale';
  /**
   * The stream parser must drop any event it holds half-read and resume at this
   * packet's `offset`: packets are missing before it, or it starts a stream.
   */
  afterGap: boolean;
  /** Packets that never came between the previous kept packet and this one. */
  missing: number;
  /** The sender restarted: this packet starts a new stream. */
  restarted: boolean;
}

/** One observation of a remote's clock: a HostID or Midi packet dated `remote`, received at `local`. */
export interface ClockSample {
  remote: number;
  local: number;
}

/** The clock reference of one remote after each sample. */
export interface ClockReference {
  kind: 'clock';
  /** local − remote, ms, including the usual transit time. NaN before the first sample. */
  offset: number;
  /** Enough consistent samples: the remote can be opened (SPEC §6). Stays true once set. */
  locked: boolean;
  /** Samples in the filter window. */
  samples: number;
  /** max − min of the central values the offset is the mean of. */
  spread: number;
  /** Times the remote clock jumped and the filter started over. */
  restarts: number;
}

/** A received, kept Midi packet with its events parsed, ready to be planned for delivery. */
export interface InboundPacket {
  /** P: the packet's date on the sender's clock (to the sub-ms with fine dates); 0 for a continuation packet. */
  date: number;
  /** R: local arrival time. */
  arrival: number;
  /** The remote's clock reference offset at arrival (`ClockReference.offset`). */
  offset: number;
  /** As reported by serial tracking: packets were lost just before this one. */
  afterGap: boolean;
  /** Packets were lost before it, or its sender restarted: notes begun before may never end. */
  releasesNotes: boolean;
  /** Each `date` relative to P − G, as the stream parser returns them. */
  events: MidiEvent[];
}

/** When the events of one packet reach local clients (SPEC §4 Latency). */
export interface DeliveryPlan {
  kind: 'plan';
  /** Local time of relative date 0: an event is due at `at + event.date`. */
  at: number;
  /** cur = (R − P) − offset: how much later than usual the packet came. 0 for a continuation. */
  transit: number;
  /** cur > maxLat: the events are due at once, keeping their spacing. */
  late: boolean;
  /** A continuation packet: timed like the packet that began its group. */
  continuation: boolean;
  /** As in the `InboundPacket`: notes left hanging before it end just before its events play. */
  releasesNotes: boolean;
  /** Relative dates, as in the `InboundPacket`. */
  events: MidiEvent[];
}

/** Packets and events that left for a remote (the sender side of the statistics). */
export interface SentPackets {
  kind: 'sent';
  packets: number;
  events: number;
}

/** The remote restarted (its clock went back): a new stream, and notes it began may never end. */
export interface RestartReport {
  kind: 'restart';
}

/** Everything the per-remote statistics fold counts. */
export type StatsInput = ClockReference | SerialVerdict | DeliveryPlan | SentPackets | RestartReport;

/** Packets counted by how much later than usual they came (their `transit`), for a histogram. */
export interface DeviationHistogram {
  /** Width of a bucket, ms; bucket i holds transits in [i·bucketMs, (i+1)·bucketMs), the last everything above. */
  bucketMs: number;
  counts: number[];
}

/** Statistics per remote (SPEC §4.4). */
export interface RemoteStats {
  /** Clock reference offset, ms (NaN until the first sample). */
  offset: number;
  /** cur of the last packet that began a group, ms. */
  transit: number;
  /** Largest cur seen, ms; 0 before any packet, and never below 0 (early packets are not a deviation to budget for). */
  maxTransit: number;
  /** Packets that came later than maxLat. */
  late: number;
  /** Packets that never came. */
  missing: number;
  /** Packets received again or after a newer one, dropped. */
  duplicates: number;
  /** Times the remote restarted its stream. */
  restarts: number;
  packetsIn: number;
  eventsIn: number;
  packetsOut: number;
  eventsOut: number;
  /** Packets that began a group, by transit (early ones in the first bucket). */
  deviation: DeviationHistogram;
}
