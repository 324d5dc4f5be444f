/**
 * One conversation of the local endpoint protocol (docs/local-protocol.md),
 * whatever carries it: the Unix socket (one message per line) and the
 * WebSocket (one message per frame) both feed it the messages they read and
 * write out what it emits.
 *
 *     messages in ──▶ endpointSession(options) ──▶ replies and pushes out
 *
 * An incoming item is a message's text, or the reason the transport could not
 * read one (a line too long): that one is answered with an error, and the
 * conversation ends. The conversation also ends when its input does (the peer
 * went away). Unsubscribing ends it too. When it ends, the client it opened
 * is closed and its connections dropped. Bad messages are answered and told
 * to `warn` (for the driver's rate-limited log); nobody else notices them.
 */
import {
  Observable,
  Subscription,
  distinctUntilChanged,
  interval,
  map,
  startWith,
  type OperatorFunction,
} from 'rxjs';
import { eventToJson, parseEvent } from '../model/event-json.js';
import type { MidiEvent } from '../model/event.js';
import { clientByRef, localCount, type ClientId, type Follow } from '../model/registry.js';
import { fail, ok, type Result } from '../model/result.js';
import type { Hub, LocalClient } from '../sinks/hub.js';
import type { LogLine } from '../sinks/logger.js';
import {
  clientsJson,
  isOp,
  OPS,
  type Op,
  type RequestId,
  type ServerMessage,
  type StatsOf,
} from '../wire/local-protocol.js';

/** What every conversation of one endpoint is given. */
export interface SessionOptions {
  hub: Hub;
  /** The driver's `status` answer (awake, mode, port, counters…); the endpoint adds client counts. */
  status?: () => Record<string, unknown>;
  /** Statistics of a remote client (SPEC §4.4), listed by `clients` and pushed by `stats`. */
  stats?: StatsOf;
  /** The driver's log lines, the last few first (`DriverLogger.lines$`): what `logs` pushes. */
  logs$?: Observable<LogLine>;
  /** The driver's clock, ms (the one deliveries are timed on): `time` of `stats` pushes. Default Date.now. */
  now?: () => number;
}

/** How a transport names its connections and messages in log lines. */
export interface SessionLabels {
  /** `local endpoint connection`, `WebSocket connection from 127.0.0.1`… */
  connection: string;
  /** `line` (Unix socket), `message` (WebSocket). */
  message: string;
}

/** Events in one `send` request. */
const MAX_EVENTS_PER_REQUEST = 4096;
/** `stats` pushes: the default period, and the bounds a request may ask for. */
const STATS_INTERVAL_MS = { default: 100, min: 20, max: 60_000 };

type Reply = (outcome: Result<Record<string, unknown>>) => void;

/**
 * How a transport names its connection in its own log lines (a reader too slow…): once `open`
 * has succeeded, by the client it carries, as the conversation's lines do.
 */
export function connectionLabel(previous: string, message: ServerMessage): string {
  if (!('op' in message) || message.op !== 'open' || !message.ok) return previous;
  const { name, ref } = message as { name?: unknown; ref?: unknown };
  return typeof name === 'string' && typeof ref === 'number' ? `local client ${name} (ref ${ref})` : previous;
}

export function endpointSession(
  options: SessionOptions,
  labels: SessionLabels,
  warn: (message: string) => void,
): OperatorFunction<Result<string>, ServerMessage> {
  return (messages$) =>
    new Observable<ServerMessage>((out) => {
      const { hub } = options;
      const subscriptions = new Subscription();
      let client: LocalClient | undefined;
      let clientSubscription: Subscription | undefined;
      let statsSubscription: Subscription | undefined;
      let followingRegistry = false;
      let followingLogs = false;
      let count = 0;

      const write = (message: ServerMessage): void => out.next(message);
      const who = (): string =>
        client ? `local client ${client.name} (ref ${client.ref})` : labels.connection;
      const answer = (
        op: Op | null,
        id: RequestId | undefined,
        outcome: Result<Record<string, unknown>>,
      ): void => {
        const withId = id === undefined ? {} : { id };
        if (outcome.ok) write({ ok: true, op: op as Op, ...withId, ...outcome.value });
        else {
          write({ ok: false, op, ...withId, error: outcome.reason });
          warn(`${who()}: ${labels.message} ${count}: ${outcome.reason}`);
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

      const statusNow = (): Record<string, unknown> => {
        const state = hub.snapshot();
        const locals = localCount(state);
        const remotes = state.clients.filter((c) => c.kind === 'remote').length;
        return { awake: hub.isAwake(), locals, remotes, ...options.status?.() };
      };

      /** Status and every remote's statistics each period, when they changed since the last push. */
      const pushStats = (periodMs: number): void => {
        statsSubscription?.unsubscribe();
        statsSubscription = interval(periodMs)
          .pipe(
            startWith(0),
            map(() => {
              const remotes = clientsJson(hub.snapshot(), options.stats).filter((c) => c.kind === 'remote');
              return { status: statusNow(), remotes };
            }),
            map((figures) => ({ figures, text: JSON.stringify(figures) })),
            distinctUntilChanged((a, b) => a.text === b.text),
          )
          .subscribe(({ figures }) =>
            write({ push: 'stats', time: (options.now ?? Date.now)(), ...figures }),
          );
        subscriptions.add(statsSubscription);
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
          const woke = !hub.isAwake();
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
          reply(ok({ status: statusNow() }));
        },
        watch(_request, reply) {
          reply(ok({}));
          followRegistry();
        },
        stats(request, reply) {
          const period = request['intervalMs'] ?? STATS_INTERVAL_MS.default;
          const { min, max } = STATS_INTERVAL_MS;
          if (typeof period !== 'number' || !Number.isInteger(period) || period < min || period > max) {
            return reply(
              fail(`intervalMs: expected a whole number of ms ${min}–${max}, got ${String(period)}`),
            );
          }
          reply(ok({}));
          pushStats(period);
        },
        logs(_request, reply) {
          reply(ok({}));
          if (followingLogs || !options.logs$) return;
          followingLogs = true;
          subscriptions.add(
            options.logs$.subscribe(({ level, line }) => write({ push: 'log', level, line })),
          );
        },
      };

      const handle = (text: string): void => {
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

      subscriptions.add(
        messages$.subscribe({
          next: (message) => {
            count += 1;
            if (message.ok) return handle(message.value);
            // The transport cannot find the next message: answer, then end the conversation.
            answer(null, undefined, message);
            out.complete();
          },
          complete: () => out.complete(),
          error: () => out.complete(),
        }),
      );
      return () => {
        closeClient();
        subscriptions.unsubscribe();
      };
    });
}

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
  stats: ['intervalMs'],
  logs: [],
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
