/**
 * The running process around the pipeline (SPEC §9): the logger, the real
 * clock, the host's interfaces, the local endpoint, and the ways to stop —
 * `q` on stdin, SIGINT, SIGTERM — each of which says Bye before it exits.
 * SIGHUP reopens the log file.
 */
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { EMPTY, asyncScheduler, ignoreElements, merge, tap, type Observable, type Subscription } from 'rxjs';
import { type Config, VERSION } from './model/config.js';
import { msinetDriver } from './driver.js';
import { loadOperators } from './sources/operator-modules.js';
import { EndpointInUseError, serveLocalEndpoint } from './sources/local-endpoint.js';
import { defaultSocketPath } from './sources/socket-path.js';
import { createDriverLogger, type Logger } from './sinks/logger.js';
import { midiPorts } from './sinks/midi-ports.js';
import { problemCounter } from './sinks/rate-limited-log.js';
import { PortInUseError } from './sources/bind-error.js';
import { readBindAddress, readInterfaces } from './sources/interfaces.js';
import { randomStationId } from './sources/station-id.js';
import { groupId } from './sources/group-id.js';
import { ok } from './model/result.js';
import { preciseScheduler } from './sources/precise-scheduler.js';
import { HttpEndpointError, newToken, serveHttp } from './sources/http-endpoint.js';
import type { SessionOptions } from './sources/endpoint-session.js';
import type { DriverLogger } from './sinks/logger.js';
import type { ProblemCounter } from './sinks/rate-limited-log.js';

/** Time for the last datagrams (Bye) to leave before the process exits. */
const GOODBYE_MS = 50;

/** What the process around the driver (daemon.ts) is told. */
export interface RunHooks {
  /** Once, when the driver serves (its ports bound, its endpoint listening); false stops it (logged by the hook). */
  serving?: (logger: Logger) => boolean;
  /** Each error line the driver logs. */
  error?: (message: string) => void;
}

/** Runs the driver until it is told to quit; resolves with the exit code. */
export async function runDriver(config: Config, hooks: RunHooks = {}): Promise<number> {
  const logger = createDriverLogger({
    level: config.logLevel,
    file: config.daemon ? config.logFile : undefined,
    onError: hooks.error,
  });
  let serving = (): void => undefined;
  // "is running" comes only once it serves: nothing claims it before a fatal error.
  logger.info(
    `MidiShare Internet driver (msinet ${VERSION}, protocol v1), ${config.mode.toUpperCase()} mode`,
  );
  if (config.mode === 'wan') {
    logger.info(`TCP server mode on: ${config.maxClients} clients allowed`);
  }
  logger.info(
    `UDP port: ${config.port} maximum latency allowed: ${config.maxLatency} grouping time: ${config.grouping}`,
  );

  const interfaces = config.mode === 'lan' ? readInterfaces(config.interface) : ok([]);
  const bind =
    config.mode === 'wan' && config.interface !== undefined
      ? readBindAddress(config.interface)
      : ok(undefined);
  for (const chosen of [interfaces, bind]) {
    if (!chosen.ok && config.interface !== undefined) {
      logger.error(chosen.reason);
      return logger.close().then(() => 1);
    }
  }
  if (config.mode === 'lan' && (!interfaces.ok || interfaces.value.length === 0)) {
    logger.warn('no IPv4 interface with a broadcast address: this station will see no other');
  }
  const inbound = await loadOperators(config.inbound);
  const outbound = await loadOperators(config.outbound);
  for (const loaded of [inbound, outbound]) {
    if (!loaded.ok) {
      logger.error(loaded.reason);
      return logger.close().then(() => 1);
    }
  }
  const socketPath = config.socket ?? defaultSocketPath(config.port);
  const group = config.socketGroup === undefined ? ok(undefined) : groupId(config.socketGroup);
  if (!group.ok) {
    logger.error(group.reason);
    return logger.close().then(() => 1);
  }
  // A misbehaving local client must not flood the log either (SPEC §10).
  const localProblems = problemCounter(logger, preciseScheduler);
  const driver = msinetDriver(config, {
    scheduler: preciseScheduler,
    logger,
    hostName: hostname(),
    interfaces: interfaces.ok ? interfaces.value : [],
    ...(bind.ok && bind.value !== undefined ? { bind: bind.value } : {}),
    stationId: randomStationId(),
    extensions: {
      inbound: inbound.ok ? inbound.value : undefined,
      outbound: outbound.ok ? outbound.value : undefined,
    },
  });
  // MIDI ports are local clients (SPEC §8); the port list is polled on the ordinary clock.
  const midi$ = midiPorts(config, {
    hub: driver.hub,
    logger,
    problems: localProblems,
    scheduler: preciseScheduler,
    pollScheduler: asyncScheduler,
  });
  const endpoint$ = serveLocalEndpoint({
    path: socketPath,
    ...(group.value === undefined ? {} : { group: group.value }),
    hub: driver.hub,
    status: driver.status,
    stats: (ref) => driver.statsOf(ref) as Record<string, unknown> | undefined,
    logs$: logger.lines$,
    now: () => preciseScheduler.now(),
  }).pipe(
    tap((notice) => {
      if (notice.kind === 'listening') {
        logger.info(`local clients: ${notice.path}`);
        serving();
      } else if (notice.level === 'warn') localProblems('local client', notice.message);
      else logger.info(notice.message);
    }),
  );

  const web$ = serveWeb(config, logger, localProblems, {
    hub: driver.hub,
    status: driver.status,
    stats: (ref) => driver.statsOf(ref) as Record<string, unknown> | undefined,
    logs$: logger.lines$,
    now: () => preciseScheduler.now(),
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (code: number, why: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`quitting (${why})`);
      subscription.unsubscribe();
      setTimeout(() => void logger.close().then(() => resolve(code)), GOODBYE_MS);
    };

    // The TCP port is bound before the endpoint listens (subscribed first; a bind error comes in the
    // same tick): one turn of the loop after `listening`, nothing can refuse the driver any more.
    serving = () =>
      void setImmediate(() => {
        if (stopping) return;
        logger.info(`MidiShare Internet driver is running, ${wakeRule(config)}`);
        if (hooks.serving?.(logger) === false) stop(1, 'cannot serve');
        else if (!config.daemon) quitOnQ(() => stop(0, 'q'), logger);
      });
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    process.on('SIGHUP', () => logger.reopen());

    const subscription: Subscription = merge(driver.run$, endpoint$, midi$, web$).subscribe({
      error: (error: unknown) => {
        const known =
          error instanceof PortInUseError ||
          error instanceof EndpointInUseError ||
          error instanceof HttpEndpointError;
        logger.error(known ? (error as Error).message : `stopped by an error: ${String(error)}`);
        stop(1, 'error');
      },
    });
  });
}

/** `--http` (SPEC §12): the status page and the WebSocket endpoint; its address (and token) in the log. */
function serveWeb(
  config: Config,
  logger: DriverLogger,
  problems: ProblemCounter,
  session: SessionOptions,
): Observable<never> {
  if (config.http === undefined) return EMPTY;
  const token = config.httpBind === undefined ? undefined : newToken();
  return serveHttp({
    ...session,
    port: config.http,
    ...(config.httpBind === undefined ? {} : { bind: config.httpBind }),
    ...(token === undefined ? {} : { token }),
  }).pipe(
    tap((notice) => {
      if (notice.kind === 'listening') logger.info(`web page: ${notice.url}`);
      else if (notice.level === 'warn') problems('web client', notice.message);
      else logger.info(notice.message);
    }),
    ignoreElements(),
  );
}

/** What the start-up screen says of sleeping (SPEC §6): asleep or awake, and what wakes the driver. */
function wakeRule(config: Config): string {
  if (config.mode === 'wan') return 'awake (a WAN station never sleeps: its peers dial it)';
  const linger = (config.lingerMs ?? 0) / 1000;
  return (
    'asleep: it wakes when a local client opens (msinet dump or send, a MIDI port, the web page), ' +
    `and sleeps ${linger} s after the last one closes`
  );
}

/** `q` quits (SPEC §9): a key press on a terminal, else a line `q` on stdin. */
function quitOnQ(quit: () => void, logger: Logger): void {
  const { stdin } = process;
  if (stdin.isTTY) {
    logger.info("press 'q' to quit");
    stdin.setRawMode(true);
    stdin.on('data', (keys: Buffer) => {
      // In raw mode Ctrl-C is a byte, not SIGINT: it quits too.
      if (keys.includes(0x71) || keys.includes(0x51) || keys.includes(0x03)) {
        stdin.setRawMode(false);
        quit();
      }
    });
    return;
  }
  logger.info("type 'q' to quit");
  createInterface({ input: stdin }).on('line', (line) => {
    if (line.trim() === 'q') quit();
  });
}
