/**
 * The status page (SPEC §12, docs/web.md). Two WebSockets, each a local
 * client of the driver like any other:
 * - the monitor (`web-monitor`, transient, from every remote): the client
 *   list and connections, statistics every 30 ms when they change, the log
 *   tail, and every event delivered from every remote;
 * - the player (`web-midi`): connected both ways to the station chosen under
 *   Play, it sends what the on-screen keyboard and the browser's MIDI inputs
 *   play, and what it receives goes to the browser's MIDI output.
 */
import { parseEvent } from '../model/event-json.js';
import type { MidiEvent } from '../model/event.js';
import { deliveryText } from '../wire/delivery-text.js';
import type { ClientJson, ClientsPush, Push, Reply } from '../wire/local-protocol.js';
import { DriverClock } from './driver-clock.js';
import { EndpointSocket } from './endpoint-socket.js';
import { Keyboard } from './keyboard.js';
import { LinesView } from './lines-view.js';
import { MatrixView } from './matrix-view.js';
import { MidiBridge } from './midi-bridge.js';
import { element, RemotesView } from './remotes-view.js';

/** Statistics pushes: at most this often, so the page is never more than this behind. */
const STATS_INTERVAL_MS = 30;
/** Added to each delivery date on the MIDI output, so a push slower than the fastest keeps its place. */
const OUTPUT_LEAD_MS = 10;
/** Length of a note played from the keyboard with Enter or Space. */
const KEY_NOTE_MS = 300;

const byId = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

const clock = new DriverClock();
const ownRefs = new Set<number>();
let clients: ClientJson[] = [];
let playerRef: number | undefined;
let target: number | undefined;
/** Until the person picks under Play, the player follows the first station. */
let autoChoose = true;

const remotes = new RemotesView(byId('remotes'), byId('no-remotes'));
const monitor = new LinesView(byId('monitor'), 500);
const logTail = new LinesView(byId('log'), 200);
const targetSelect = byId<HTMLSelectElement>('target');
const channelInput = byId<HTMLInputElement>('channel');
const velocityInput = byId<HTMLInputElement>('velocity');
const playHint = byId('play-hint');

const url = EndpointSocket.urlFor(location);

const matrix = new MatrixView(
  byId<HTMLTableElement>('matrix'),
  byId('no-matrix'),
  (src, dst, on) => void monitorSocket.request(on ? 'connect' : 'disconnect', { src, dst }).then(report),
  () => ownRefs,
);

const monitorSocket = new EndpointSocket(url, {
  onConnect: (socket) => {
    void socket.request('open', { name: 'web-monitor', fromRemotes: true, transient: true }).then((reply) => {
      if (reply.ok && typeof reply['ref'] === 'number') ownRefs.add(reply['ref']);
      report(reply);
    });
    void socket.request('stats', { intervalMs: STATS_INTERVAL_MS }).then(report);
    void socket.request('logs').then(report);
  },
  onPush: (push) => monitorPush(push),
  onState: (state) => connectionState('monitor', state),
});

const playerSocket = new EndpointSocket(url, {
  onConnect: (socket) => {
    void socket.request('open', { name: 'web-midi' }).then((reply) => {
      report(reply);
      if (!reply.ok || typeof reply['ref'] !== 'number') return;
      playerRef = reply['ref'];
      ownRefs.add(playerRef);
      const wanted = target;
      target = undefined;
      choose(wanted ?? firstRemote());
    });
  },
  onPush: (push) => {
    if (push.push !== 'delivery') return;
    clock.sample(push.time, performance.now());
    const event = parseEvent({ ...push.event, date: undefined });
    const at = clock.toLocal(push.time);
    if (event.ok) bridge.play(event.value, at === undefined ? undefined : at + OUTPUT_LEAD_MS);
  },
  onState: (state) => {
    if (state === 'closed') {
      if (playerRef !== undefined) ownRefs.delete(playerRef);
      playerRef = undefined;
    }
    connectionState('player', state);
  },
});

const bridge = new MidiBridge(byId('midi-in'), byId('midi-out'), byId('midi-status'), (events) =>
  send(events),
);
void bridge.start();

const keyboard = new Keyboard(byId('keyboard'), byId('octave'), {
  keyOn: (pitch) => send([{ type: 'keyOn', port: 0, chan: channel(), pitch, vel: velocity() }]),
  keyOff: (pitch) => send([{ type: 'keyOff', port: 0, chan: channel(), pitch, vel: 64 }]),
  note: (pitch) =>
    send([{ type: 'note', port: 0, chan: channel(), pitch, vel: velocity(), dur: KEY_NOTE_MS }]),
});
byId('octave-down').addEventListener('click', () => keyboard.shiftOctave(-1));
byId('octave-up').addEventListener('click', () => keyboard.shiftOctave(1));
targetSelect.addEventListener('change', () => {
  autoChoose = false;
  choose(targetSelect.value === '' ? undefined : Number(targetSelect.value));
});

const monitorPause = byId<HTMLButtonElement>('monitor-pause');
monitorPause.addEventListener('click', () => {
  monitor.paused = !monitor.paused;
  monitorPause.setAttribute('aria-pressed', String(monitor.paused));
  monitorPause.textContent = monitor.paused ? 'Resume' : 'Pause';
});
byId('monitor-clear').addEventListener('click', () => monitor.clear());

setInterval(() => remotes.tick(performance.now()), 250);

function monitorPush(push: Push): void {
  const now = performance.now();
  switch (push.push) {
    case 'delivery':
      clock.sample(push.time, now);
      monitor.add(deliveryText(push));
      return;
    case 'clients':
      clientsChanged(push);
      return;
    case 'stats':
      clock.sample(push.time, now);
      remotes.update(push, now);
      driverStatus(push.status);
      return;
    case 'log':
      logTail.add(push.line, push.level);
      return;
  }
}

function clientsChanged(push: ClientsPush): void {
  clients = push.clients;
  const driver = clients.find((c) => c.kind === 'driver');
  if (driver) byId('station').textContent = driver.name;
  matrix.update(push);
  const list = clients.filter((c) => c.kind === 'remote');
  const chosen = targetSelect.value;
  targetSelect.replaceChildren(
    element('option', { value: '' }, list.length === 0 ? 'No station yet' : 'None'),
    ...list.map((c) => element('option', { value: String(c.ref) }, `${c.name} (${c.address ?? 'remote'})`)),
  );
  targetSelect.value = list.some((c) => String(c.ref) === chosen) ? chosen : '';
  if (target !== undefined && !list.some((c) => c.ref === target)) target = undefined;
  if (target === undefined && playerRef !== undefined && autoChoose) choose(firstRemote());
  targetSelect.value = target === undefined ? '' : String(target);
  setText(playHint, playing(target));
}

/** Connects the player both ways to one station, and away from the one before. */
function choose(ref: number | undefined): void {
  const player = playerRef;
  const before = target;
  target = ref;
  targetSelect.value = ref === undefined ? '' : String(ref);
  if (player === undefined || before === ref) return;
  if (before !== undefined) {
    void playerSocket.request('disconnect', { src: player, dst: before }).then(report);
    void playerSocket.request('disconnect', { src: before, dst: player }).then(report);
  }
  if (ref !== undefined) {
    void playerSocket.request('connect', { src: player, dst: ref }).then(report);
    void playerSocket.request('connect', { src: ref, dst: player }).then(report);
  }
  setText(playHint, playing(ref));
}

function playing(ref: number | undefined): string {
  return ref === undefined
    ? 'Choose a station to play to.'
    : `Playing to ${nameOf(ref)}; what it sends plays on the MIDI output.`;
}

/** Live regions are read out when they change: write only what changed. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function firstRemote(): number | undefined {
  return clients.find((c) => c.kind === 'remote')?.ref;
}

function nameOf(ref: number): string {
  return clients.find((c) => c.ref === ref)?.name ?? `#${ref}`;
}

function send(events: MidiEvent[]): void {
  if (!playerSocket.open) return;
  void playerSocket.request('send', { events }).then(report);
}

function channel(): number {
  return Math.min(15, Math.max(0, Number(channelInput.value) - 1 || 0));
}

function velocity(): number {
  return Math.min(127, Math.max(1, Number(velocityInput.value) || 100));
}

/** A refused request is said where a person reads it. */
function report(reply: Reply): void {
  if (!reply.ok) setText(byId('problem'), `The driver said: ${reply.error}`);
}

const states: Record<string, string> = {};
function connectionState(which: string, state: 'open' | 'closed'): void {
  states[which] = state;
  const connected = Object.values(states).every((s) => s === 'open');
  setText(
    byId('connection'),
    connected ? 'Connected to the driver.' : 'Not connected to the driver: retrying…',
  );
  if (which === 'monitor' && state === 'closed') ownRefs.clear();
}

function driverStatus(status: Record<string, unknown>): void {
  const parts = [
    status['awake'] ? 'awake' : 'asleep',
    typeof status['mode'] === 'string' ? status['mode'].toUpperCase() : undefined,
    status['port'] !== undefined ? `port ${String(status['port'])}` : undefined,
    status['maxLatency'] !== undefined ? `maximum latency ${String(status['maxLatency'])} ms` : undefined,
    status['grouping'] !== undefined ? `grouping ${String(status['grouping'])} ms` : undefined,
    `${count(status['remotes'])} remote station(s)`,
    `${String(status['locals'] ?? 0)} local client(s)`,
  ];
  setText(byId('driver-status'), `Driver ${parts.filter((p) => p !== undefined).join(' · ')}`);
}

/** `remotes` is a count, or (as the driver adds it) the list of them. */
function count(value: unknown): number {
  return Array.isArray(value) ? value.length : Number(value ?? 0);
}
