/**
 * What the driver is given (its clock, logger, host name, sockets, the user's
 * operators) and what it gives back: the types around `msinetDriver` (driver.ts).
 */
import type { MonoTypeOperatorFunction, Observable, SchedulerLike } from 'rxjs';
import type { MidiEvent } from './model/event.js';
import type { RemoteStats } from './model/pipeline.js';
import type { Hub } from './sinks/hub.js';
import type { Logger } from './sinks/logger.js';
import type { LanInterface } from './sources/interfaces.js';
import type { LanNet } from './sources/lan-station.js';
import type { tcpListener } from './sources/reliable-tcp.js';
import type { WanNet } from './sources/wan-station.js';

export interface DriverIo {
  /** The driver's clock: the precise scheduler in production, TestScheduler in tests. */
  scheduler: SchedulerLike;
  logger: Logger;
  /** The name HostID packets carry. */
  hostName: string;
  interfaces: readonly LanInterface[];
  /** The sockets; real ones unless a test runs drivers on an in-memory network. */
  net?: Partial<DriverNet>;
  /** WAN: the local address to bind (`--bind`); default every interface. */
  bind?: string;
  /** Random per run: ties a WAN link's UDP to its TCP (capabilities.ts). Default: a fresh one. */
  stationId?: string;
  /** A user's own operators (docs/operators.md): on events from remotes, and on events to them. */
  extensions?: {
    inbound?: MonoTypeOperatorFunction<MidiEvent>;
    outbound?: MonoTypeOperatorFunction<MidiEvent>;
  };
}

export type DriverNet = LanNet & WanNet & { listenTcp: typeof tcpListener };

export interface Driver {
  readonly hub: Hub;
  /** Subscribe to run the driver; unsubscribe to stop it (Bye first). */
  readonly run$: Observable<never>;
  status(): Record<string, unknown>;
  statsOf(ref: number): RemoteStats | undefined;
}
