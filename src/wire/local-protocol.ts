/**
 * The local endpoint's messages (docs/local-protocol.md): newline-delimited
 * JSON, one object per line. A request names its `op` and may carry an `id`,
 * echoed in its one reply. Replies have `ok`; pushes (deliveries,
 * client-list changes) have `push` instead.
 */
import type { LogLevel } from '../model/config.js';
import type { Client, Connection, RegistryState } from '../model/registry.js';

export const OPS = [
  'open',
  'close',
  'clients',
  'connect',
  'disconnect',
  'send',
  'drain',
  'status',
  'watch',
  'stats',
  'logs',
] as const;
export type Op = (typeof OPS)[number];

export type RequestId = string | number;

/** A client as `clients` lists it (SPEC §2 `msinet clients --json`). */
export interface ClientJson {
  ref: number;
  name: string;
  kind: Client['kind'];
  address?: string;
  stats?: Record<string, unknown>;
}

export interface OkReply {
  ok: true;
  op: Op;
  id?: RequestId;
  [field: string]: unknown;
}

export interface ErrorReply {
  ok: false;
  /** The request's op when it had a valid one, else null. */
  op: Op | null;
  id?: RequestId;
  error: string;
}

export type Reply = OkReply | ErrorReply;

/**
 * How the endpoint begins every delivery push: `push` first, so what follows
 * is the rest of the `{ "time", "from", "event" }` object, a line of
 * `msinet dump --json` as it stands, which a client can pass on unparsed.
 */
export const DELIVERY_PUSH_PREFIX = '{"push":"delivery",';

export interface DeliveryPush {
  push: 'delivery';
  /** The driver's clock, ms. */
  time: number;
  from: string;
  /** Event JSON. */
  event: Record<string, unknown>;
}

export interface ClientsPush {
  push: 'clients';
  clients: ClientJson[];
  connections: Connection[];
}

/** After `stats`: the status and each remote's statistics, every period in which they changed. */
export interface StatsPush {
  push: 'stats';
  /** The driver's clock, ms, when the figures were read (the clock of `delivery` pushes). */
  time: number;
  /** As the `status` reply's `status`. */
  status: Record<string, unknown>;
  /** The remote clients, as `clients` lists them, with their statistics. */
  remotes: ClientJson[];
}

/** After `logs`: each line the driver logs (first the last ones it logged before). */
export interface LogPush {
  push: 'log';
  level: LogLevel;
  /** As the driver wrote it: `[24/11/2026 13:27:23] warn: …`. */
  line: string;
}

export type Push = DeliveryPush | ClientsPush | StatsPush | LogPush;
export type ServerMessage = Reply | Push;

export type StatsOf = (ref: number) => Record<string, unknown> | undefined;

export function clientsJson(state: RegistryState, stats: StatsOf = () => undefined): ClientJson[] {
  return state.clients.map((c) => {
    const json: ClientJson = { ref: c.ref, name: c.name, kind: c.kind };
    if (c.address !== undefined) json.address = c.address;
    const figures = c.kind === 'remote' ? stats(c.ref) : undefined;
    if (figures !== undefined) json.stats = figures;
    return json;
  });
}

export function isOp(value: unknown): value is Op {
  return typeof value === 'string' && (OPS as readonly string[]).includes(value);
}
