/**
 * The hub: the client registry (model/registry.ts) folded with `scan`, plus
 * the routing of events between clients at their dates. The driver (and the
 * local endpoint) use it; it owns no socket and reads time only from the
 * injected scheduler.
 *
 *   local send ──▶ hold until event.date (scheduler) ──▶ route by connection ─┬─▶ local events$
 *                                                                              └─▶ outbound$ (to remotes)
 *   deliver(remote, e) (already timed by the driver) ──▶ route by connection ──┘
 *
 * Routing reads the connections at the moment an event is dispatched, as
 * MidiShare does: connecting after a dated send still catches the event.
 */
import {
  BehaviorSubject,
  concat,
  defer,
  distinctUntilChanged,
  filter,
  from,
  ignoreElements,
  map,
  mergeMap,
  observeOn,
  of,
  queueScheduler,
  scan,
  startWith,
  Subject,
  take,
  takeUntil,
  tap,
  timer,
  finalize,
  asyncScheduler,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { withDate, type MidiEvent } from '../model/event.js';
import {
  clientByRef,
  destinations,
  initialRegistry,
  isLocal,
  localCount,
  reduce,
  type Client,
  type ClientId,
  type Follow,
  type LocalKind,
  type RegistryAction,
  type RegistryState,
  type Step,
} from '../model/registry.js';
import { fail, ok, type Result } from '../model/result.js';

/** An event as a local client receives it: `time` on the driver's clock (ms), `from` the sender's name. */
export interface Delivery {
  readonly time: number;
  readonly from: string;
  readonly event: MidiEvent;
}

/**
 * An event a client sent to a remote station's client, at its date. `event.date`
 * is that moment, or absent for an event sent for now: the receiver of
 * `outbound$` takes it in the same call and dates it with `scheduler.now()`.
 */
export interface Outbound {
  readonly remote: number;
  readonly event: MidiEvent;
}

export interface LocalClient {
  readonly ref: number;
  readonly name: string;
  /**
   * Sends at `event.date` (now when absent or past; the event goes out dated
   * with the moment it is dispatched). Fails when the client is closed or
   * holds too many future-dated events.
   */
  send(event: MidiEvent): Result<void>;
  /** What the client receives; completes when it closes. Hot: subscribe before events arrive. */
  readonly events$: Observable<Delivery>;
  /** Emits once, then completes, when everything sent so far has left the host (held events, then the driver's hook). */
  drained(): Observable<void>;
  /** Closes the client: its connections are dropped, its held events are dropped. Idempotent. */
  close(): void;
}

export interface OpenOptions {
  follow?: Follow;
  transient?: boolean;
  /** 'midi' for a client that bridges a MIDI port (default 'local'). */
  kind?: LocalKind;
}

export interface HubOptions {
  /** The driver's own client name (config.ts `driverClientName`). */
  driverName: string;
  /** Time for dates and delays; default asyncScheduler. */
  scheduler?: SchedulerLike;
  /**
   * Tells when everything handed to `outbound$` so far for these remotes has
   * left the host (grouping buffers flushed, sockets written): emits or
   * completes then. Default: at once.
   */
  drained?: (remotes: readonly number[]) => ObservableInput<unknown>;
  /** Bound on future-dated events one client may hold (SPEC §10). Default 65,536. */
  maxHeldPerClient?: number;
}

export interface Hub {
  /** The registry now, then after each change. */
  readonly state$: Observable<RegistryState>;
  /** The client list now, then after each change. */
  readonly clients$: Observable<readonly Client[]>;
  /** Local clients open now, then after each change: the driver sleeps at 0 (SPEC §6). */
  readonly localCount$: Observable<number>;
  /** Events sent to remote clients, at their dates. Hot: subscribe before opening clients. */
  readonly outbound$: Observable<Outbound>;
  /** The registry as it is now (for queries). */
  snapshot(): RegistryState;
  /** How long local clients have been open without a break, in ms: the driver has been awake that long (0 asleep). */
  awakeMs(): number;
  openLocal(name: string, options?: OpenOptions): Result<LocalClient>;
  /** Adds a remote station's client; answers it (its name is made unique among stations). */
  addRemote(name: string, address?: string): Result<Client>;
  removeRemote(ref: number): Result<void>;
  connect(src: ClientId, dst: ClientId): Result<void>;
  disconnect(src: ClientId, dst: ClientId): Result<void>;
  /**
   * An event from a remote, already timed by the driver: to every client
   * connected from that remote, now (dated now).
   */
  deliver(fromRemote: number, event: MidiEvent): void;
  /** Closes every local client and completes the streams. */
  dispose(): void;
}

interface Sent {
  readonly from: number;
  readonly event: MidiEvent;
}

interface Request {
  readonly action: RegistryAction;
  readonly reply: (outcome: Result<Step>) => void;
}

/** What the hub keeps per open local client: its inbox, its held count, where its events went. */
interface Session {
  readonly inbox: Subject<Delivery>;
  readonly closed: Subject<void>;
  held: number;
  readonly sentTo: Set<number>;
}

/** Where events from one client go: worked out once per registry state, since routing is per event. */
interface Routes {
  readonly senderName: string;
  readonly senderKind: Client['kind'];
  readonly locals: readonly number[];
  readonly remotes: readonly number[];
}

export const DEFAULT_MAX_HELD = 65_536;
/** What `send` answers when it took the event: one value, not a new one per event. */
const SENT: Result<void> = ok(undefined);

export function createHub(options: HubOptions): Hub {
  const scheduler = options.scheduler ?? asyncScheduler;
  const maxHeld = options.maxHeldPerClient ?? DEFAULT_MAX_HELD;
  const drainedHook = options.drained ?? (() => of(undefined));

  const requests = new Subject<Request>();
  const sent = new Subject<Sent>();
  const outbound = new Subject<Outbound>();
  const heldChanged = new Subject<void>();
  const sessions = new Map<number, Session>();
  const initial = initialRegistry(options.driverName);
  const state = new BehaviorSubject<RegistryState>(initial);
  // The fold's latest state, read synchronously by routing and queries.
  let current = initial;
  /** When the first of the local clients open now opened. */
  let wokeAt = 0;

  const subscriptions: Subscription[] = [
    requests
      .pipe(
        scan(
          (acc, { action, reply }) => {
            const outcome = reduce(acc.state, action);
            return { state: outcome.ok ? outcome.value.state : acc.state, outcome, reply };
          },
          { state: initial } as { state: RegistryState; outcome?: Result<Step>; reply?: Request['reply'] },
        ),
        tap(({ state: next, outcome, reply }) => {
          current = next;
          if (outcome && reply) reply(outcome);
        }),
        map(({ state: next }) => next),
        distinctUntilChanged(),
        // A subscriber that changes the registry while it is told of a change
        // must not make others see the states out of order: queue the news.
        observeOn(queueScheduler),
      )
      .subscribe(state),
    sent
      .pipe(
        mergeMap(({ from: ref, event }) => {
          const session = sessions.get(ref);
          if (!session) return [];
          const wait = (event.date ?? 0) - scheduler.now();
          const held$ = wait > 0 ? timer(wait, scheduler) : of(0);
          return held$.pipe(
            map(() => ({ from: ref, event })),
            takeUntil(session.closed),
            finalize(() => {
              session.held -= 1;
              heldChanged.next();
            }),
          );
        }),
      )
      .subscribe(({ from: ref, event }) => route(ref, event, scheduler.now())),
  ];

  function dispatch(action: RegistryAction): Result<Step> {
    let outcome: Result<Step> = fail('the hub is closed');
    requests.next({ action, reply: (r) => (outcome = r) });
    return outcome;
  }

  let routesFor: RegistryState | undefined;
  const routesBySrc = new Map<number, Routes | undefined>();

  function routesOf(src: number): Routes | undefined {
    if (routesFor !== current) {
      routesFor = current;
      routesBySrc.clear();
    }
    if (routesBySrc.has(src)) return routesBySrc.get(src);
    const sender = clientByRef(current, src);
    const targets = sender ? destinations(current, src).map((dst) => clientByRef(current, dst)) : [];
    const refsOf = (wanted: (c: Client) => boolean) =>
      targets.flatMap((t) => (t && wanted(t) ? [t.ref] : []));
    const routes = sender && {
      senderName: sender.name,
      senderKind: sender.kind,
      locals: refsOf(isLocal),
      remotes: refsOf((c) => c.kind === 'remote'),
    };
    routesBySrc.set(src, routes);
    return routes;
  }

  /**
   * Hands an event to every client connected from `src`, dated `time`, the moment of its dispatch.
   * An event without a date goes to remotes as it is: the outbound path dates it as it arrives, in
   * this same call, and the copy a date would cost is the largest part of sending an event.
   */
  function route(src: number, event: MidiEvent, time: number): void {
    const routes = routesOf(src);
    if (!routes) return;
    if (routes.locals.length > 0) {
      const delivery: Delivery = { time, from: routes.senderName, event: withDate(event, time) };
      for (const dst of routes.locals) sessions.get(dst)?.inbox.next(delivery);
    }
    if (routes.remotes.length > 0) {
      const outgoing = event.date === undefined || event.date === time ? event : withDate(event, time);
      const sentTo = sessions.get(src)?.sentTo;
      for (const dst of routes.remotes) {
        sentTo?.add(dst);
        outbound.next({ remote: dst, event: outgoing });
      }
    }
  }

  function openLocal(name: string, open: OpenOptions = {}): Result<LocalClient> {
    const wasAsleep = localCount(current) === 0;
    const step = dispatch({ type: 'openLocal', name, ...open });
    if (!step.ok) return step;
    if (wasAsleep) wokeAt = scheduler.now();
    const client = step.value.client as Client;
    const ref = client.ref;
    const session: Session = { inbox: new Subject(), closed: new Subject(), held: 0, sentTo: new Set() };
    sessions.set(ref, session);

    const close = (): void => {
      if (sessions.get(ref) !== session) return;
      session.closed.next();
      session.closed.complete();
      sessions.delete(ref);
      dispatch({ type: 'closeLocal', ref });
      session.inbox.complete();
      heldChanged.next();
    };
    const send = (event: MidiEvent): Result<void> => {
      if (sessions.get(ref) !== session) return fail(`${name} is closed`);
      const now = scheduler.now();
      // Most events are for now: they go at once, without the machinery that holds dated ones.
      if ((event.date ?? 0) <= now) {
        route(ref, event, now);
        return SENT;
      }
      if (session.held >= maxHeld) return fail(`${name} holds ${maxHeld} events for later dates already`);
      session.held += 1;
      sent.next({ from: ref, event });
      return SENT;
    };
    const drained = (): Observable<void> =>
      defer(() =>
        heldChanged.pipe(
          startWith(undefined),
          filter(() => session.held <= 0),
          take(1),
          mergeMap(() =>
            concat(from(drainedHook([...session.sentTo])).pipe(take(1), ignoreElements()), of(undefined)),
          ),
        ),
      );
    return ok({ ref, name: client.name, send, events$: session.inbox.asObservable(), drained, close });
  }

  function unit(outcome: Result<Step>): Result<void> {
    return outcome.ok ? ok(undefined) : outcome;
  }

  return {
    state$: state.asObservable(),
    clients$: state.pipe(
      map((s) => s.clients),
      distinctUntilChanged(),
    ),
    localCount$: state.pipe(map(localCount), distinctUntilChanged()),
    outbound$: outbound.asObservable(),
    snapshot: () => current,
    awakeMs: () => (localCount(current) === 0 ? 0 : scheduler.now() - wokeAt),
    openLocal,
    addRemote(name, address) {
      const step = dispatch({ type: 'addRemote', name, ...(address !== undefined ? { address } : {}) });
      return step.ok ? ok(step.value.client as Client) : step;
    },
    removeRemote: (ref) => unit(dispatch({ type: 'removeRemote', ref })),
    connect: (src, dst) => unit(dispatch({ type: 'connect', src, dst })),
    disconnect: (src, dst) => unit(dispatch({ type: 'disconnect', src, dst })),
    deliver(fromRemote, event) {
      if (routesOf(fromRemote)?.senderKind === 'remote') route(fromRemote, event, scheduler.now());
    },
    dispose() {
      for (const session of [...sessions.values()]) {
        session.closed.next();
        session.closed.complete();
        session.inbox.complete();
      }
      sessions.clear();
      for (const subscription of subscriptions) subscription.unsubscribe();
      requests.complete();
      outbound.complete();
      heldChanged.complete();
      state.complete();
    },
  };
}
