/**
 * The client registry — the "local MidiShare" of SPEC §1 and §3 — as a pure
 * reducer: `reduce(state, action)` answers the next state, or the reason the
 * action cannot be done (errors are values). The hub folds actions through it
 * with `scan`; nothing here knows about time, sockets or rxjs.
 *
 * Rules (MidiShare's, with the msinet decisions written in docs/local-protocol.md):
 * - refs are small integers: the driver's own client is 0, every other client
 *   takes the lowest free ref, as MidiShare reuses refnums;
 * - a connection is directed, src → dst; events go to every client connected
 *   from their sender. The driver's own client carries no events, so it
 *   cannot be connected;
 * - a name designates every client of that name (local applications may share
 *   one); a remote's name is made unique among stations;
 * - each remote client remembers, by name, the clients connected to and from
 *   it, while it lives: when a client of a remembered name opens, its
 *   connections come back (the original's ApplState). Closing a client keeps
 *   the memory; disconnecting forgets;
 * - a local client may *follow* every remote, or every client of one name,
 *   present and future: it is connected from them as they appear;
 * - a *transient* local client (the msinet tools) is neither remembered nor
 *   restored, so `msinet dump --from A` never inherits what an earlier dump
 *   listened to;
 * - a local client that bridges a MIDI port is of kind `midi`: it is a local
 *   client in every other respect (it wakes the driver, receives events), the
 *   kind only tells people what it is (`msinet clients`).
 */
import { fail, ok, type Result } from './result.js';

export type ClientKind = 'driver' | 'remote' | LocalKind;
/** Kinds of the clients of this machine: applications, and MIDI ports bridged by the driver. */
export type LocalKind = 'local' | 'midi';

/** Connect a local client from every remote, or from every client of one name, present and future. */
export type Follow = { readonly kind: 'remotes' } | { readonly kind: 'name'; readonly name: string };

export interface Client {
  readonly ref: number;
  readonly name: string;
  readonly kind: ClientKind;
  /** Remote clients: the station's address, as the driver gives it (`10.0.0.2` or `10.0.0.2:4950`). */
  readonly address?: string;
  /** Local clients only. */
  readonly follow?: Follow;
  /** Local clients only: remotes neither remember nor restore its connections. */
  readonly transient?: boolean;
}

export interface Connection {
  readonly src: number;
  readonly dst: number;
}

/** What one remote client remembers of its connections, by the names of its peers, oldest first. */
export interface RemoteMemory {
  readonly remote: number;
  /** Names of clients connected to the remote: they send to its station. */
  readonly from: readonly string[];
  /** Names of clients the remote is connected to: they receive from its station. */
  readonly to: readonly string[];
}

/** What a remote that went away remembered, kept by its name for when it comes back. */
export interface DepartedMemory {
  readonly name: string;
  readonly from: readonly string[];
  readonly to: readonly string[];
}

export interface RegistryState {
  /** Ascending by ref; the driver's own client first. */
  readonly clients: readonly Client[];
  /** Ascending by src, then dst. */
  readonly connections: readonly Connection[];
  /** One entry per live remote client. */
  readonly memory: readonly RemoteMemory[];
  /** Remotes gone, newest last: one that comes back under its name gets its connections back. */
  readonly departed: readonly DepartedMemory[];
}

/** A client named by its ref, or by a name (which designates every client of that name). */
export type ClientId = number | string;

export type RegistryAction =
  | {
      readonly type: 'openLocal';
      readonly name: string;
      readonly follow?: Follow;
      readonly transient?: boolean;
      /** Default 'local'. */
      readonly kind?: LocalKind;
    }
  | { readonly type: 'closeLocal'; readonly ref: number }
  | { readonly type: 'addRemote'; readonly name: string; readonly address?: string }
  | { readonly type: 'removeRemote'; readonly ref: number }
  | { readonly type: 'connect'; readonly src: ClientId; readonly dst: ClientId }
  | { readonly type: 'disconnect'; readonly src: ClientId; readonly dst: ClientId };

/** The state after an action, and the client it opened (openLocal, addRemote). */
export interface Step {
  readonly state: RegistryState;
  readonly client?: Client;
}

export const DRIVER_REF = 0;
/** Refs 0–255: memory stays bounded whatever local applications and the network do (SPEC §10). */
export const MAX_CLIENTS = 256;
/** SPEC §1: a remote client is named after its host, at most 31 characters. */
export const MAX_REMOTE_NAME = 31;
/** Local names are longer than MidiShare's 31 so a bridged MIDI port keeps its whole name (SPEC §8). */
export const MAX_LOCAL_NAME = 64;
/** Names a remote remembers per direction; the oldest is forgotten first. */
export const MAX_REMEMBERED = 128;
/** Remotes gone whose connections are kept for their return; the longest gone is forgotten first. */
export const MAX_DEPARTED = 64;

export function initialRegistry(driverName: string): RegistryState {
  return {
    clients: [{ ref: DRIVER_REF, name: driverName, kind: 'driver' }],
    connections: [],
    memory: [],
    departed: [],
  };
}

export function reduce(state: RegistryState, action: RegistryAction): Result<Step> {
  switch (action.type) {
    case 'openLocal':
      return openLocal(state, action.name, action.follow, action.transient ?? false, action.kind ?? 'local');
    case 'closeLocal':
      return closeClient(state, action.ref, 'local');
    case 'addRemote':
      return addRemote(state, action.name, action.address);
    case 'removeRemote':
      return closeClient(state, action.ref, 'remote');
    case 'connect':
      return link(state, action.src, action.dst, addConnection);
    case 'disconnect':
      return link(state, action.src, action.dst, removeConnection);
  }
}

// ── queries ────────────────────────────────────────────────────────────────

export function clientByRef(state: RegistryState, ref: number): Client | undefined {
  return state.clients.find((c) => c.ref === ref);
}

/**
 * The clients an id designates: a number is a ref; a string is every client
 * of that name, or — when none has it and it is all digits — a ref, so
 * `msinet connect 3 5` works.
 */
export function resolve(state: RegistryState, id: ClientId): Result<readonly Client[]> {
  if (typeof id === 'number') {
    const client = clientByRef(state, id);
    return client ? ok([client]) : fail(`no client with ref ${id}`);
  }
  const named = state.clients.filter((c) => c.name === id);
  if (named.length > 0) return ok(named);
  if (/^\d{1,9}$/.test(id)) {
    const client = clientByRef(state, Number(id));
    if (client) return ok([client]);
  }
  return fail(`no client named '${id}'`);
}

/** Refs of the clients connected from `src`, in ascending order. */
export function destinations(state: RegistryState, src: number): number[] {
  return state.connections.filter((c) => c.src === src).map((c) => c.dst);
}

export function isConnected(state: RegistryState, src: number, dst: number): boolean {
  return state.connections.some((c) => c.src === src && c.dst === dst);
}

/** True for the clients of this machine, whatever they are (applications, MIDI ports). */
export function isLocal(client: Client): boolean {
  return client.kind === 'local' || client.kind === 'midi';
}

/** Clients of this machine open now: the driver sleeps at 0 (MIDI ports count, SPEC §8). */
export function localCount(state: RegistryState): number {
  return state.clients.filter(isLocal).length;
}

// ── actions ────────────────────────────────────────────────────────────────

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f]/g;

function openLocal(
  state: RegistryState,
  name: string,
  follow: Follow | undefined,
  transient: boolean,
  kind: LocalKind,
): Result<Step> {
  if (name.length === 0) return fail('name: must not be empty');
  if ([...name].length > MAX_LOCAL_NAME) return fail(`name: longer than ${MAX_LOCAL_NAME} characters`);
  if (CONTROL.test(name)) return fail('name: must not contain control characters');
  if (follow?.kind === 'name' && follow.name.length === 0) return fail('follow: empty name');
  const ref = freeRef(state);
  if (ref === undefined) return fail(`too many clients (${MAX_CLIENTS})`);
  const client: Client = {
    ref,
    name,
    kind,
    ...(follow ? { follow } : {}),
    ...(transient ? { transient } : {}),
  };
  return ok({ state: welcome(insertClient(state, client), client), client });
}

function addRemote(state: RegistryState, hostName: string, address: string | undefined): Result<Step> {
  const ref = freeRef(state);
  if (ref === undefined) return fail(`too many clients (${MAX_CLIENTS})`);
  const name = uniqueStationName(state, hostName.replace(CONTROLS, '?') || address || 'remote');
  const client: Client = { ref, name, kind: 'remote', ...(address !== undefined ? { address } : {}) };
  // Back under its name (a WAN link redialled, a LAN station awake again): what it remembered comes back.
  const back = state.departed.find((d) => d.name === name);
  const withMemory = {
    ...insertClient(state, client),
    memory: [...state.memory, { remote: ref, from: back?.from ?? [], to: back?.to ?? [] }],
    departed: state.departed.filter((d) => d !== back),
  };
  return ok({ state: welcome(withMemory, client), client });
}

/**
 * Removes a local (of either local kind) or remote client and its connections; the others'
 * memory keeps its name. A remote's own memory is kept by its name among the departed, for its return.
 */
function closeClient(state: RegistryState, ref: number, kind: 'local' | 'remote'): Result<Step> {
  const client = clientByRef(state, ref);
  if (!client) return fail(`no client with ref ${ref}`);
  if (kind === 'local' ? !isLocal(client) : client.kind !== kind) {
    return fail(`${client.name} (ref ${ref}) is not a ${kind} client`);
  }
  const memory = state.memory.find((m) => m.remote === ref);
  const departed =
    memory === undefined
      ? state.departed
      : [
          ...state.departed.filter((d) => d.name !== client.name),
          { name: client.name, from: memory.from, to: memory.to },
        ].slice(-MAX_DEPARTED);
  return ok({
    state: {
      clients: state.clients.filter((c) => c.ref !== ref),
      connections: state.connections.filter((c) => c.src !== ref && c.dst !== ref),
      memory: state.memory.filter((m) => m.remote !== ref),
      departed,
    },
  });
}

type Edit = (state: RegistryState, src: Client, dst: Client) => RegistryState;

/** Connects or disconnects every client `src` designates with every client `dst` designates. */
function link(state: RegistryState, srcId: ClientId, dstId: ClientId, edit: Edit): Result<Step> {
  const srcs = resolve(state, srcId);
  if (!srcs.ok) return srcs;
  const dsts = resolve(state, dstId);
  if (!dsts.ok) return dsts;
  const driver = [...srcs.value, ...dsts.value].find((c) => c.kind === 'driver');
  if (driver)
    return fail(`${driver.name} is the driver itself and carries no events: use a station's client`);
  if (srcs.value.some((s) => dsts.value.some((d) => d.ref === s.ref))) {
    return fail('a client cannot be connected to itself');
  }
  let next = state;
  for (const src of srcs.value) for (const dst of dsts.value) next = edit(next, src, dst);
  return ok({ state: next });
}

// ── helpers ────────────────────────────────────────────────────────────────

function freeRef(state: RegistryState): number | undefined {
  const used = new Set(state.clients.map((c) => c.ref));
  for (let ref = DRIVER_REF + 1; ref < MAX_CLIENTS; ref++) if (!used.has(ref)) return ref;
  return undefined;
}

function insertClient(state: RegistryState, client: Client): RegistryState {
  return { ...state, clients: [...state.clients, client].sort((a, b) => a.ref - b.ref) };
}

function truncate(name: string, length: number): string {
  return [...name].slice(0, length).join('');
}

/** The host name, cut to 31 characters, with `#2`, `#3`… when another station or the driver has it. */
function uniqueStationName(state: RegistryState, hostName: string): string {
  const taken = new Set(state.clients.filter((c) => !isLocal(c)).map((c) => c.name));
  const base = truncate(hostName, MAX_REMOTE_NAME);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `#${n}`;
    const candidate = truncate(hostName, MAX_REMOTE_NAME - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Connections a new client gets: back from the remotes' memory, and from the rules of followers. */
function welcome(state: RegistryState, client: Client): RegistryState {
  let next = state;
  const others = state.clients.filter((c) => c.ref !== client.ref && c.kind !== 'driver');
  if (!client.transient) {
    for (const memory of state.memory) {
      const remote = clientByRef(state, memory.remote);
      if (!remote || remote.ref === client.ref) continue;
      if (memory.to.includes(client.name)) next = addConnection(next, remote, client);
      if (memory.from.includes(client.name)) next = addConnection(next, client, remote);
    }
  }
  // A remote that came back: the clients it remembers, present now, are connected again.
  const own = state.memory.find((m) => m.remote === client.ref);
  if (own !== undefined) {
    for (const other of others) {
      if (other.transient) continue;
      if (own.to.includes(other.name)) next = addConnection(next, client, other);
      if (own.from.includes(other.name)) next = addConnection(next, other, client);
    }
  }
  for (const follower of others) {
    if (follower.follow && follows(follower.follow, client)) next = addConnection(next, client, follower);
  }
  if (client.follow) {
    const rule = client.follow;
    for (const source of others) if (follows(rule, source)) next = addConnection(next, source, client);
  }
  return next;
}

function follows(rule: Follow, source: Client): boolean {
  return rule.kind === 'remotes' ? source.kind === 'remote' : source.name === rule.name;
}

function addConnection(state: RegistryState, src: Client, dst: Client): RegistryState {
  const connections = isConnected(state, src.ref, dst.ref)
    ? state.connections
    : [...state.connections, { src: src.ref, dst: dst.ref }].sort((a, b) => a.src - b.src || a.dst - b.dst);
  return { ...state, connections, memory: remember(state.memory, src, dst, rememberName) };
}

function removeConnection(state: RegistryState, src: Client, dst: Client): RegistryState {
  return {
    ...state,
    connections: state.connections.filter((c) => !(c.src === src.ref && c.dst === dst.ref)),
    memory: remember(state.memory, src, dst, (names, name) => names.filter((n) => n !== name)),
  };
}

type NamesEdit = (names: readonly string[], name: string) => readonly string[];

/** Applies `edit` to what the remote end(s) of src → dst remember of the other end. */
function remember(
  memory: readonly RemoteMemory[],
  src: Client,
  dst: Client,
  edit: NamesEdit,
): readonly RemoteMemory[] {
  return memory.map((m) => {
    let next = m;
    if (m.remote === src.ref && !dst.transient) next = { ...next, to: edit(next.to, dst.name) };
    if (m.remote === dst.ref && !src.transient) next = { ...next, from: edit(next.from, src.name) };
    return next;
  });
}

/** Adds a name as the newest, forgetting the oldest beyond MAX_REMEMBERED. */
function rememberName(names: readonly string[], name: string): readonly string[] {
  return [...names.filter((n) => n !== name), name].slice(-MAX_REMEMBERED);
}
