/**
 * MIDI ports as local clients of the hub (SPEC §8), built on the hub's public
 * API only:
 *
 *   --midi          `msinet (all)`: a virtual input and output pair that plays
 *                   to every station and records from every station; keeps
 *                   the driver awake so that stations can appear;
 *                   `msinet <station>`: a pair per remote station, opened when
 *                   it appears, closed when it goes.
 *   --midi-in  X    the first input port whose name contains X (any case), as
 *                   a client of kind midi that plays to every station.
 *   --midi-out X    the same for an output port, receiving from every station.
 *
 *   ports$ (polled) ─▶ match X ─▶ switchMap: port present? open port + client ─▶ bytes ⇄ events
 *
 * A bridged port that disappears closes its client with a log line, and is
 * opened again when a port matching X is back; a busy port is tried again at
 * each poll. Runs while subscribed; unsubscribing closes every port and client.
 */
import {
  EMPTY,
  catchError,
  distinctUntilChanged,
  ignoreElements,
  map,
  merge,
  mergeMap,
  pairwise,
  retry,
  share,
  startWith,
  switchMap,
  takeUntil,
  tap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { ALL_STATIONS_PORT, matchPort, portClientName, stationPortName } from '../model/midi-port-names.js';
import type { MidiPortList, MidiSystem } from '../sources/midi-system.js';
import { playMidiInto } from '../sources/midi-input-bridge.js';
import { PORT_POLL_MS, watchMidiPorts } from '../sources/midi-port-list.js';
import type { Hub } from './hub.js';
import { feedEveryRemote, remoteLifetimes, whileOpen, type RemoteLifetime } from './hub-lifetimes.js';
import type { Logger } from './logger.js';
import { playIntoMidi } from './midi-output-bridge.js';
import type { ProblemCounter } from './rate-limited-log.js';

export interface MidiBridgeConfig {
  midi: boolean;
  midiIn: readonly string[];
  midiOut: readonly string[];
}

export interface MidiBridgeIo {
  hub: Hub;
  system: MidiSystem;
  logger: Logger;
  problems: ProblemCounter;
  /** Times the key offs of notes: the precise scheduler in production. */
  scheduler: SchedulerLike;
  /** Polls the port list and retries busy ports (default `scheduler`). */
  pollScheduler?: SchedulerLike;
  /** Default 1000 ms. */
  pollMs?: number;
}

/** Whether the configuration asks for any MIDI port. */
export function wantsMidi(config: MidiBridgeConfig): boolean {
  return config.midi || config.midiIn.length > 0 || config.midiOut.length > 0;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const NOT_YET = Symbol('not yet');

export function midiBridge(config: MidiBridgeConfig, io: MidiBridgeIo): Observable<never> {
  const { hub, system, logger, problems, scheduler } = io;
  const pollScheduler = io.pollScheduler ?? scheduler;
  const pollMs = io.pollMs ?? PORT_POLL_MS;
  const ports$ = watchMidiPorts(system, pollScheduler, pollMs).pipe(share());

  /** `msinet (all)`: plays to every station, records from every station. */
  function allStations(): Observable<never> {
    return whileOpen(
      () => hub.openLocal(ALL_STATIONS_PORT, { kind: 'midi', follow: { kind: 'remotes' } }),
      (client) =>
        whileOpen(
          () => system.virtualInput(ALL_STATIONS_PORT),
          (input) =>
            whileOpen(
              () => system.virtualOutput(ALL_STATIONS_PORT),
              (output) => {
                logger.info(
                  `MIDI: virtual ports '${ALL_STATIONS_PORT}' play to and record from every station; ` +
                    `each station gets its own as it appears`,
                );
                return merge(
                  playMidiInto(input, client, problems),
                  playIntoMidi(client.events$, output, scheduler, problems),
                  feedEveryRemote(hub, client.ref),
                );
              },
            ),
        ),
    ).pipe(
      catchError((error: unknown) => {
        logger.warn(`MIDI: no virtual ports '${ALL_STATIONS_PORT}': ${reasonOf(error)}`);
        return EMPTY;
      }),
    );
  }

  /** `msinet <station>` while the station is there. */
  function stationPorts({ remote, gone$ }: RemoteLifetime): Observable<never> {
    const name = stationPortName(remote.name);
    return whileOpen(
      () => hub.openLocal(name, { kind: 'midi' }),
      (client) => {
        hub.connect(remote.ref, client.ref);
        hub.connect(client.ref, remote.ref);
        return whileOpen(
          () => system.virtualInput(name),
          (input) =>
            whileOpen(
              () => system.virtualOutput(name),
              (output) => {
                logger.info(`${remote.name} : MIDI ports '${name}' open`);
                // Each branch ends itself when the station goes: due key offs are written before the ports close.
                return merge(
                  playMidiInto(input, client, problems).pipe(takeUntil(gone$)),
                  playIntoMidi(client.events$.pipe(takeUntil(gone$)), output, scheduler, problems),
                ).pipe(tap({ complete: () => logger.info(`${remote.name} : MIDI ports '${name}' closed`) }));
              },
            ),
        );
      },
    ).pipe(
      catchError((error: unknown) => {
        logger.warn(`${remote.name} : no MIDI ports: ${reasonOf(error)}`);
        return EMPTY;
      }),
    );
  }

  /**
   * A port matching `wanted` in the list `pick` reads, bridged by `bridge`
   * while it is present; its comings and goings logged.
   */
  function bridgedPort(
    what: 'MIDI input' | 'MIDI output',
    wanted: string,
    pick: (list: MidiPortList) => readonly string[],
    bridge: (port: string) => Observable<never>,
  ): Observable<never> {
    return ports$.pipe(
      map((list) => matchPort(pick(list), wanted) ?? null),
      distinctUntilChanged(),
      startWith<string | null | typeof NOT_YET>(NOT_YET),
      pairwise(),
      tap(([before, port]) => {
        if (port !== null) return;
        if (before === NOT_YET) logger.info(`${what}: waiting for a port matching '${wanted}'`);
        else if (before !== null) {
          logger.warn(
            `${what} '${before}' is gone (unplugged?): its client is closed; ` +
              `it opens again when a port matching '${wanted}' is back`,
          );
        }
      }),
      switchMap(([, port]) =>
        port === null || port === NOT_YET
          ? EMPTY
          : bridge(port).pipe(
              retry({
                delay: (error: unknown, count: number) => {
                  if (count === 1) {
                    logger.warn(`${what} '${port}': ${reasonOf(error)}; trying again every ${pollMs} ms`);
                  }
                  return timer(pollMs, pollScheduler);
                },
              }),
            ),
      ),
    );
  }

  function bridgedInput(wanted: string): Observable<never> {
    return bridgedPort(
      'MIDI input',
      wanted,
      (list) => list.inputs,
      (port) =>
        whileOpen(
          () => system.openInput(port),
          (input) =>
            whileOpen(
              () => hub.openLocal(portClientName(port), { kind: 'midi' }),
              (client) => {
                logger.info(
                  `MIDI input '${port}' bridged: client '${client.name}' (ref ${client.ref}) plays to every station`,
                );
                return merge(playMidiInto(input, client, problems), feedEveryRemote(hub, client.ref));
              },
            ),
        ),
    );
  }

  function bridgedOutput(wanted: string): Observable<never> {
    return bridgedPort(
      'MIDI output',
      wanted,
      (list) => list.outputs,
      (port) =>
        whileOpen(
          () => system.openOutput(port),
          (output) =>
            whileOpen(
              () => hub.openLocal(portClientName(port), { kind: 'midi', follow: { kind: 'remotes' } }),
              (client) => {
                logger.info(
                  `MIDI output '${port}' bridged: client '${client.name}' (ref ${client.ref}) plays what every station sends`,
                );
                return playIntoMidi(client.events$, output, scheduler, problems);
              },
            ),
        ),
    );
  }

  return merge(
    config.midi ? merge(allStations(), remoteLifetimes(hub).pipe(mergeMap(stationPorts))) : EMPTY,
    ...config.midiIn.map(bridgedInput),
    ...config.midiOut.map(bridgedOutput),
  ).pipe(ignoreElements());
}
