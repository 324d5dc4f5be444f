/**
 * The hub: the client registry (model/registry.ts) folded with `scan`, plus
 * the routing of events between clients at their dates. It is where the
 * driver's pipeline ends and where local clients' events begin: a sink for
 * what remotes deliver, a source of what local clients send to them. It owns
 * no socket and reads time only from the injected scheduler.
 *
 *   local send ──▶ hold until event.date (scheduler) ──▶ route by connection ─┬─▶ local clients' events$
 *                                                                              └─▶ a remote client's outbound$
 *   remote client deliver(e) (already timed by the driver) ──▶ route ──────────┘
 *
 * Routing reads the connections at the moment an event is dispatched, as
 * MidiShare does: connecting after a dated send still catches the event.
 */
import {
  BehaviorSubject,
  defer,
  distinctUntilChanged,
  filter,
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
import type { RemoteStats } from '../model/pipeline.js';
import { awakeWhileClients } from '../operators/awake-while-clients.js';
import { fail, ok, type Result } from '../model/result.js';

/** An event as a local client receives it: `time` on the driver's clock (ms), `from` the sender's name. */
export interface Delivery {
  readonly time: number;
  readonly from: string;
  readonly event: MidiEvent;
}

/**
 * A remote station's client as its session in the driver holds it, from the
 * remote's open to its close: events for the station come out of `outbound$`,
 * what the station sends goes in through `deliver`.
 */
export interface RemoteClient {
  readonly ref: number;
  /** Its name among the clients (a station's host name, made unique). */
  readonly name: string;
  /**
   * Hot: the events local clients send to the station, each at its date. `event.date`
   * is that moment, or absent for an event sent for now: the subscriber takes it in
   * the same call and dates it with `scheduler.now()`. Completes when it closes.
   */
  readonly outbound$: Observable<MidiEvent>;
  /** An event from the station, already timed by the driver: to every client connected from it, now. */
  deliver(event: MidiEvent): void;
  /** Whether events taken from `outbound$` are still on their way out (local clients' `drained` waits). */
  busy(busy: boolean): void;
  /** The station's latest statistics (SPEC §4.4), for queries. */
  stats(stats: RemoteStats): void;
  /** Removes the client; its connections are remembered by name no longer. Idempotent. */
  close(): void;
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
  /** Emits once, then completes, when everything sent so far has left the host (held events, then remotes' send paths). */
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
  /** Bound on future-dated events one client may hold (SPEC §10). Default 65,536. */
  maxHeldPerClient?: number;
  /** `--linger`: the driver stays awake this long after its last local client closes. Default 0. */
  lingerMs?: number;
  /** A WAN driver never sleeps. */
  alwaysAwake?: boolean;
}

export interface Hub {
  /** The registry now, then after each change. */
  readonly state$: Observable<RegistryState>;
  /** The client list now, then after each change. */
  readonly clients$: Observable<readonly Client[]>;
  /** Local clients open now, then after each change. */
  readonly localCount$: Observable<number>;
  /**
   * Whether the driver is awake, now and after each change (SPEC §6): from the first local
   * client until `lingerMs` after the last (awakeWhileClients); always, for a WAN driver.
   */
  readonly awake$: Observable<boolean>;
  /** The registry as it is now (for queries). */
  snapshot(): RegistryState;
  isAwake(): boolean;
  /** How long the driver has been awake without a break, in ms (0 asleep). */
  awakeMs(): number;
  openLocal(name: string, options?: OpenOptions): Result<LocalClient>;
  /** Opens a remote station's client for the driver's session of that station (its name is made unique). */
  openRemote(name: string, address: string, key?: string): Result<RemoteClient>;
  /** Adds a remote station's client with no session behind it (tests, tools); answers it. */
  addRemote(name: string, address?: string): Result<Client>;
  removeRemote(ref: number): Result<void>;
  /** A remote client's latest statistics, if its session reported any. */
  statsOf(ref: number): RemoteStats | undefined;
  /** The same, by the key its session opened it with (the station's `address:port`). */
  statsOfPeer(key: string): RemoteStats | undefined;
  connect(src: ClientId, dst: ClientId): Result<void>;
  disconnect(src: ClientId, dst: ClientId): Result<void>;
  /** An event from a remote, already timed: to every client connected from that remote, now (dated now). */
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

/** What the hub keeps per remote client its driver session opened. */
interface RemoteSession {
  readonly key: string | undefined;
  readonly outbound: Subject<MidiEvent>;
  stats: RemoteStats | undefined;
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

  const requests = new Subject<Request>();
  const sent = new Subject<Sent>();
  const heldChanged = new Subject<void>();
  const sessions = new Map<number, Session>();
  const remotes = new Map<number, RemoteSession>();
  /** Remotes whose send path holds events not yet on the wire. */
  const busyRemotes = new Set<number>();
  const initial = initialRegistry(options.driverName);
  const state = new BehaviorSubject<RegistryState>(initial);
  // The fold's latest state, read synchronously by routing and queries.
  let current = initial;
  const localCount$ = state.pipe(map(localCount), distinctUntilChanged());
  const awake = new BehaviorSubject(options.alwaysAwake === true);
  /** When the driver last woke. */
  let wokeAt = scheduler.now();

  const subscriptions: Subscription[] = [
    (options.alwaysAwake ? of(true) : localCount$.pipe(awakeWhileClients(options.lingerMs ?? 0, scheduler)))
      .pipe(
        tap((isAwake) => {
          if (isAwake && !awake.value) wokeAt = scheduler.now();
        }),
      )
      .subscribe(awake),
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
        remotes.get(dst)?.outbound.next(outgoing);
      }
    }
  }

  function openLocal(name: string, open: OpenOptions = {}): Result<LocalClient> {
    const step = dispatch({ type: 'openLocal', name, ...open });
    if (!step.ok) return step;
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
    // Held events first, then every remote it sent to has nothing left on its way out.
    const drained = (): Observable<void> =>
      defer(() =>
        heldChanged.pipe(
          startWith(undefined),
          filter(() => session.held <= 0 && ![...session.sentTo].some((dst) => busyRemotes.has(dst))),
          take(1),
          map(() => undefined),
        ),
      );
    return ok({ ref, name: client.name, send, events$: session.inbox.asObservable(), drained, close });
  }

  function openRemote(name: string, address: string, key?: string): Result<RemoteClient> {
    const step = dispatch({ type: 'addRemote', name, address });
    if (!step.ok) return step;
    const ref = (step.value.client as Client).ref;
    const remote: RemoteSession = { key, outbound: new Subject(), stats: undefined };
    remotes.set(ref, remote);
    const close = (): void => {
      if (remotes.get(ref) !== remote) return;
      remotes.delete(ref);
      busy(ref, false);
      dispatch({ type: 'removeRemote', ref });
      remote.outbound.complete();
    };
    return ok({
      ref,
      name: (step.value.client as Client).name,
      outbound$: remote.outbound.asObservable(),
      deliver: (event) => route(ref, event, scheduler.now()),
      busy: (isBusy) => busy(ref, isBusy),
      stats: (stats) => (remote.stats = stats),
      close,
    });
  }

  function busy(ref: number, isBusy: boolean): void {
    if (isBusy === busyRemotes.has(ref)) return;
    if (isBusy) busyRemotes.add(ref);
    else busyRemotes.delete(ref);
    heldChanged.next();
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
    localCount$,
    awake$: awake.pipe(distinctUntilChanged()),
    snapshot: () => current,
    isAwake: () => awake.value,
    awakeMs: () => (awake.value ? scheduler.now() - wokeAt : 0),
    openLocal,
    openRemote,
    statsOf: (ref) => remotes.get(ref)?.stats,
    statsOfPeer: (key) => [...remotes.values()].find((remote) => remote.key === key)?.stats,
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
      for (const remote of remotes.values()) remote.outbound.complete();
      remotes.clear();
      heldChanged.complete();
      state.complete();
    },
  };
}
