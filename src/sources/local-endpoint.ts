/**
 * The local endpoint (SPEC §3): a Unix domain socket, mode 0600, speaking the
 * newline-delimited JSON of docs/local-protocol.md. Each connection may open
 * one local client of the hub; queries need none, so they never wake a
 * sleeping driver. A connection's bad input is answered and logged, and
 * touches nobody else; a connection that goes away closes its client.
 *
 * Resources follow the subscription: subscribing claims the path (removing a
 * stale socket file only when nothing answers on it) and listens;
 * unsubscribing closes every connection and removes the file. The notices
 * are for the driver's log.
 */
import { lstat, unlink } from 'node:fs/promises';
import { chmodSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Observable, Subscription, distinctUntilChanged, map, type Subscriber } from 'rxjs';
import { eventToJson, parseEvent } from '../model/event-json.js';
import type { MidiEvent } from '../model/event.js';
import { clientByRef, localCount, type ClientId, type Follow } from '../model/registry.js';
import { fail, ok, type Result } from '../model/result.js';
import type { Hub, LocalClient } from '../sinks/hub.js';
import { MAX_LINE_BYTES, splitLines } from '../operators/split-lines.js';
import {
  clientsJson,
  isOp,
  OPS,
  type Op,
  type RequestId,
  type ServerMessage,
  type StatsOf,
} from '../wire/local-protocol.js';

export interface EndpointOptions {
  path: string;
  hub: Hub;
  /** The driver's `status` answer (awake, mode, port, counters…); the endpoint adds client counts. */
  status?: () => Record<string, unknown>;
  /** Statistics of a remote client (SPEC §4.4), listed by `clients`. */
  stats?: StatsOf;
  /** Default 1 MiB. */
  maxLineBytes?: number;
  /** Connections served at once. Default 256. */
  maxConnections?: number;
}

export type EndpointNotice =
  { kind: 'listening'; path: string } | { kind: 'log'; level: 'info' | 'warn'; message: string };

/** The path is held by a live driver, or by something that is not a socket. */
export class EndpointInUseError extends Error {
  override name = 'EndpointInUseError';
}

/** Output a reader may leave unread before it is dropped (SPEC §10: memory stays bounded). */
const MAX_UNREAD_BYTES = 8 << 20;
/** How long a socket that accepts nothing but does not refuse either counts as alive. */
const PROBE_TIMEOUT_MS = 1000;
/** Events in one `send` request. */
const MAX_EVENTS_PER_REQUEST = 4096;

export function serveLocalEndpoint(options: EndpointOptions): Observable<EndpointNotice> {
  return new Observable<EndpointNotice>((notices) => {
    const sockets = new Set<Socket>();
    let server: Server | undefined;
    let stopped = false;

    claimPath(options.path)
      .then(() => {
        if (stopped) return;
        server = createServer((socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          serveConnection(socket, options, notices);
        });
        server.maxConnections = options.maxConnections ?? 256;
        server.on('error', (error) => notices.error(error));
        // Created 0600 from the start (no window in which others may connect), then made so explicitly.
        const umask = process.umask(0o177);
        try {
          server.listen(options.path, () => {
            chmodSync(options.path, 0o600);
            notices.next({ kind: 'listening', path: options.path });
          });
        } finally {
          process.umask(umask);
        }
      })
      .catch((error: unknown) => notices.error(error));

    return () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      if (server) {
        const ours = server.listening;
        server.close(() => undefined);
        // Only a file we bound is ours to remove: never a live driver's.
        if (ours) unlink(options.path).catch(() => undefined);
      }
    };
  });
}

/** Makes the path free for us: absent, or a socket nobody answers on (left by a driver that died). */
async function claimPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new EndpointInUseError(`${path} exists and is not a socket; it is left alone`);
  if (await answers(path)) {
    throw new EndpointInUseError(`another msInetDriver is already running: it answers on ${path}`);
  }
  await unlink(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const probe = createConnection(path);
    const settle = (alive: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      done(alive);
    };
    const timer = setTimeout(() => settle(true), PROBE_TIMEOUT_MS);
    probe.once('connect', () => settle(true));
    probe.once('error', (error: NodeJS.ErrnoException) =>
      settle(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'),
    );
  });
}

/** One connection: its lines in, replies and pushes out, its client closed when it goes. */
function serveConnection(
  socket: Socket,
  options: EndpointOptions,
  notices: Subscriber<EndpointNotice>,
): void {
  const { hub } = options;
  const subscriptions = new Subscription();
  let client: LocalClient | undefined;
  let clientSubscription: Subscription | undefined;
  let followingRegistry = false;
  let lineNumber = 0;

  const warn = (message: string): void => notices.next({ kind: 'log', level: 'warn', message });
  const who = (): string =>
    client ? `local client ${client.name} (ref ${client.ref})` : 'local endpoint connection';

  // Lines written in one turn of the event loop leave in one socket write: a burst of
  // deliveries costs one system call, not one per event.
  let batch: string[] = [];
  const flush = (): void => {
    const lines = batch;
    batch = [];
    if (socket.destroyed || !socket.writable) return;
    socket.write(lines.join(''));
    if (socket.writableLength > MAX_UNREAD_BYTES) {
      warn(`${who()}: reads too slowly (${socket.writableLength} bytes unread), dropped`);
      socket.destroy();
    }
  };
  const write = (message: ServerMessage): void => {
    if (socket.destroyed || !socket.writable) return;
    if (batch.length === 0) setImmediate(flush);
    batch.push(`${JSON.stringify(message)}\n`);
  };
  const answer = (
    op: Op | null,
    id: RequestId | undefined,
    outcome: Result<Record<string, unknown>>,
  ): void => {
    const withId = id === undefined ? {} : { id };
    if (outcome.ok) write({ ok: true, op: op as Op, ...withId, ...outcome.value });
    else {
      write({ ok: false, op, ...withId, error: outcome.reason });
      warn(`${who()}: line ${lineNumber}: ${outcome.reason}`);
    }
  };

  const closeClient = (): void => {
    clientSubscription?.unsubscribe();
    clientSubscription = undefined;
    client?.close();
    client = undefined;
  };

  /** From the first `open` or `watch` on, the connection is told of every registry change. */
  const followRegistry = (): void => {
    if (followingRegistry) return;
    followingRegistry = true;
    subscriptions.add(
      hub.state$
        .pipe(
          map((state) => ({
            push: 'clients' as const,
            clients: clientsJson(state, options.stats),
            connections: [...state.connections],
          })),
          distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
        )
        .subscribe(write),
    );
  };

  const handlers: Record<Op, (request: Record<string, unknown>, reply: Reply) => void> = {
    open(request, reply) {
      if (client) return reply(fail(`a client is open on this connection already (${client.name})`));
      const name = request['name'];
      if (typeof name !== 'string') return reply(fail('name: expected a string'));
      const follow = followOf(request, hub);
      if (!follow.ok) return reply(follow);
      const transient = request['transient'];
      if (transient !== undefined && typeof transient !== 'boolean') {
        return reply(fail('transient: expected true or false'));
      }
      const woke = localCount(hub.snapshot()) === 0;
      const awakeMs = Math.round(hub.awakeMs());
      const opened = hub.openLocal(name, {
        ...(follow.value ? { follow: follow.value } : {}),
        ...(transient ? { transient } : {}),
      });
      if (!opened.ok) return reply(opened);
      const local = opened.value;
      client = local;
      reply(ok({ ref: local.ref, name: local.name, woke, awakeMs }));
      clientSubscription = local.events$.subscribe(({ time, from, event }) =>
        // `push` first: DELIVERY_PUSH_PREFIX.
        write({ push: 'delivery', time, from, event: eventToJson(event) }),
      );
      followRegistry();
    },
    close(_request, reply) {
      if (!client) return reply(fail('no client is open on this connection'));
      closeClient();
      reply(ok({}));
    },
    clients(_request, reply) {
      const state = hub.snapshot();
      reply(ok({ clients: clientsJson(state, options.stats), connections: [...state.connections] }));
    },
    connect(request, reply) {
      const ends = endsOf(request);
      reply(ends.ok ? unit(hub.connect(ends.value.src, ends.value.dst)) : ends);
    },
    disconnect(request, reply) {
      const ends = endsOf(request);
      reply(ends.ok ? unit(hub.disconnect(ends.value.src, ends.value.dst)) : ends);
    },
    send(request, reply) {
      if (!client) return reply(fail('send: open a client first'));
      const events = eventsOf(request);
      if (!events.ok) return reply(events);
      for (const event of events.value) {
        const sent = client.send(event);
        if (!sent.ok) return reply(sent);
      }
      reply(ok({ sent: events.value.length }));
    },
    drain(_request, reply) {
      if (!client) return reply(fail('drain: open a client first'));
      // A client closed meanwhile holds nothing more: the drain still answers.
      subscriptions.add(client.drained().subscribe({ complete: () => reply(ok({})) }));
    },
    status(_request, reply) {
      const state = hub.snapshot();
      const locals = localCount(state);
      const remotes = state.clients.filter((c) => c.kind === 'remote').length;
      reply(ok({ status: { awake: locals > 0, locals, remotes, ...options.status?.() } }));
    },
    watch(_request, reply) {
      reply(ok({}));
      followRegistry();
    },
  };

  const handleLine = (text: string): void => {
    lineNumber += 1;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (error) {
      return answer(null, undefined, fail(`not JSON: ${(error as Error).message}`));
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return answer(null, undefined, fail('expected a JSON object with an "op"'));
    }
    const fields = request as Record<string, unknown>;
    const rawId = fields['id'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined;
    const op = fields['op'];
    if (!isOp(op))
      return answer(null, id, fail(`op: expected one of ${OPS.join(', ')}, got ${JSON.stringify(op)}`));
    const unknown = Object.keys(fields).find(
      (key) => !FIELDS[op].includes(key) && key !== 'op' && key !== 'id',
    );
    if (unknown !== undefined) return answer(op, id, fail(`${unknown}: not a field of ${op}`));
    handlers[op](fields, (outcome) => answer(op, id, outcome));
  };

  const data$ = new Observable<Buffer>((subscriber) => {
    const onData = (chunk: Buffer): void => subscriber.next(chunk);
    const onClose = (): void => subscriber.complete();
    socket.on('data', onData);
    socket.on('close', onClose);
    return () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
  });

  subscriptions.add(
    data$.pipe(splitLines(options.maxLineBytes ?? MAX_LINE_BYTES)).subscribe((line) => {
      if (line.ok) return handleLine(line.value);
      lineNumber += 1;
      answer(null, undefined, line);
      // Flush the error, then drop the connection: a reader cannot resync inside an endless line.
      flush();
      socket.end(() => socket.destroy());
    }),
  );
  socket.on('error', () => undefined); // 'close' follows; a peer that resets is just gone
  socket.on('close', () => {
    closeClient();
    subscriptions.unsubscribe();
  });
}

type Reply = (outcome: Result<Record<string, unknown>>) => void;

const FIELDS: Record<Op, readonly string[]> = {
  open: ['name', 'from', 'fromRemotes', 'transient'],
  close: [],
  clients: [],
  connect: ['src', 'dst'],
  disconnect: ['src', 'dst'],
  send: ['event', 'events'],
  drain: [],
  status: [],
  watch: [],
};

function unit(outcome: Result<void>): Result<Record<string, unknown>> {
  return outcome.ok ? ok({}) : outcome;
}

function clientId(value: unknown, field: string): Result<ClientId> {
  if (typeof value === 'string' && value.length > 0) return ok(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return ok(value);
  return fail(`${field}: expected a client name or ref, got ${JSON.stringify(value) ?? 'nothing'}`);
}

function endsOf(request: Record<string, unknown>): Result<{ src: ClientId; dst: ClientId }> {
  const src = clientId(request['src'], 'src');
  if (!src.ok) return src;
  const dst = clientId(request['dst'], 'dst');
  if (!dst.ok) return dst;
  return ok({ src: src.value, dst: dst.value });
}

/** `from` (a name, or the ref of a client whose name is followed) or `fromRemotes: true` (every remote). */
function followOf(request: Record<string, unknown>, hub: Hub): Result<Follow | undefined> {
  const from = request['from'];
  const fromRemotes = request['fromRemotes'];
  if (fromRemotes !== undefined && typeof fromRemotes !== 'boolean') {
    return fail('fromRemotes: expected true or false');
  }
  if (from !== undefined && fromRemotes === true)
    return fail('from, fromRemotes: give one of them, not both');
  if (fromRemotes === true) return ok({ kind: 'remotes' });
  if (from === undefined) return ok(undefined);
  const id = clientId(from, 'from');
  if (!id.ok) return id;
  if (typeof id.value === 'string') return ok({ kind: 'name', name: id.value });
  const source = clientByRef(hub.snapshot(), id.value);
  return source ? ok({ kind: 'name', name: source.name }) : fail(`from: no client with ref ${id.value}`);
}

function eventsOf(request: Record<string, unknown>): Result<MidiEvent[]> {
  const single = request['event'];
  const many = request['events'];
  if ((single === undefined) === (many === undefined)) return fail('send: give "event" or "events"');
  const list: unknown[] = many === undefined ? [single] : Array.isArray(many) ? many : [];
  if (many !== undefined && !Array.isArray(many)) return fail('events: expected an array');
  if (list.length > MAX_EVENTS_PER_REQUEST)
    return fail(`events: more than ${MAX_EVENTS_PER_REQUEST} in one request`);
  const events: MidiEvent[] = [];
  for (const [index, json] of list.entries()) {
    const parsed = parseEvent(json);
    if (!parsed.ok) return fail(many === undefined ? parsed.reason : `events[${index}]: ${parsed.reason}`);
    events.push(parsed.value);
  }
  return ok(events);
}
