/**
 * The reliable path over TCP (SPEC §5.3, §6 port 255 in LAN, §7 WAN), on the
 * same port number as UDP. Both ends are resources that follow their
 * subscription (DESIGN.md):
 * - `tcpListener` binds when subscribed and emits the listener once it
 *   listens; its `connections$` emits each accepted connection, and a
 *   connection that comes while nobody subscribes to it is closed at once.
 *   Unsubscribing stops listening and closes every connection it accepted,
 *   once the rest of that unsubscription (its subscribers' goodbyes) has run.
 * - `tcpConnect` connects when subscribed and emits once: `ok(connection)`, or
 *   `fail(reason)` when nothing takes TCP there (refused, unreachable, timed
 *   out), which the LAN driver turns into "port 255 over UDP, with a warning".
 *   Unsubscribing closes the connection.
 *
 * A connection has TCP_NODELAY, reassembles whole packets from split and
 * coalesced reads with the TCP framer, and stamps each with `scheduler.now()`.
 * Hostile input cannot grow memory: a framing error closes that connection
 * (counted), and the send queue is bounded (`maxQueueBytes`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { AsyncSubject, asyncScheduler, Observable, Subject, type SchedulerLike } from 'rxjs';
import { fail, ok, type Result } from '../model/result.js';
import { problemCounter, type ProblemCounter } from '../sinks/rate-limited-log.js';
import { silentLogger, type Logger } from '../sinks/logger.js';
import { feedTcp, initialTcpFramer } from '../wire/tcp-framer.js';
import { bindError } from './bind-error.js';

export interface TcpAddress {
  address: string;
  port: number;
}

/** One whole packet as it arrived. */
export interface TcpPacket {
  bytes: Uint8Array;
  /** Arrival time, `scheduler.now()`. */
  at: number;
}

export interface TcpConnectionStats {
  packetsIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Sends that found the kernel buffer full and waited in the queue. */
  queued: number;
  /** Sends refused because the queue was full. */
  overflows: number;
}

export interface TcpConnection {
  readonly remote: TcpAddress;
  readonly local: TcpAddress;
  /**
   * Hot: whole packets from now on, so subscribe when the connection is
   * emitted. Completes when the connection closes (`closed$` says why).
   */
  readonly packets$: Observable<TcpPacket>;
  /** Emits once, when the connection has closed, why (e.g. "closed by peer"); replays to late subscribers. */
  readonly closed$: Observable<string>;
  /**
   * Queue `bytes` (a whole packet; not copied, so do not reuse the buffer).
   * False when the connection is closed or the queue is full. Never throws.
   */
  send(bytes: Uint8Array): boolean;
  /** Flush what is queued, then close. */
  close(): void;
  stats(): TcpConnectionStats;
}

export interface TcpOptions {
  scheduler?: SchedulerLike;
  logger?: Logger;
  /** Where framing and send problems are counted; default: one over `logger`. */
  problems?: ProblemCounter;
  /** Bytes a connection may hold unsent (default 1 MiB). */
  maxQueueBytes?: number;
  /**
   * When the queue is full: `close` the connection (default: a peer that reads
   * nothing is gone, and the reliable path never drops a packet from a live
   * connection, SPEC §7), or `drop` the packet and keep the connection.
   */
  onOverflow?: 'close' | 'drop';
  /** How long `close()` waits for the queue to flush before it cuts the connection (default 2000 ms). */
  closeTimeoutMs?: number;
}

export interface TcpListenerOptions extends TcpOptions {
  port: number;
  /** Address to listen on (default 0.0.0.0, every IPv4 interface). */
  host?: string;
  /** Connections beyond this many are closed at once (default 256): a flood cannot exhaust memory. */
  maxConnections?: number;
}

export interface TcpListener {
  readonly port: number;
  readonly host: string;
  /** Hot: each accepted connection; subscribe when the listener is emitted. */
  readonly connections$: Observable<TcpConnection>;
}

export interface TcpConnectOptions extends TcpOptions {
  address: string;
  port: number;
  /** Local address to connect from (`--bind`). */
  localAddress?: string;
  /** Give up after this long without an answer (default 3000 ms). */
  connectTimeoutMs?: number;
}

export const DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
/** Idle time before TCP keep-alive probes: well inside the shortest NAT idle timeouts for TCP. */
const KEEP_ALIVE_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
export const DEFAULT_MAX_CONNECTIONS = 256;

/** An IPv4 peer of a dual-stack socket shows as `::ffff:a.b.c.d`; UDP knows it as `a.b.c.d`. */
const plainAddress = (address: string | undefined): string =>
  (address ?? '').replace(/^::ffff:(?=\d+\.)/, '');

const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
};

interface Settings {
  scheduler: SchedulerLike;
  problems: ProblemCounter;
  maxQueueBytes: number;
  onOverflow: 'close' | 'drop';
  closeTimeoutMs: number;
}

function settings(options: TcpOptions): Settings {
  const scheduler = options.scheduler ?? asyncScheduler;
  return {
    scheduler,
    problems: options.problems ?? problemCounter(options.logger ?? silentLogger, scheduler),
    maxQueueBytes: options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
    onOverflow: options.onOverflow ?? 'close',
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
  };
}

/** Wraps a connected socket: framing in, bounded queue out, one close reason. */
function tcpConnection(socket: Socket, settings: Settings): TcpConnection {
  const { scheduler, problems } = settings;
  const remote = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
  const local = { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 };
  const peer = `${remote.address}:${remote.port}`;
  const packets = new Subject<TcpPacket>();
  const closed = new AsyncSubject<string>();
  const stats: TcpConnectionStats = { packetsIn: 0, packetsOut: 0, bytesOut: 0, queued: 0, overflows: 0 };
  let framer = initialTcpFramer();
  let reason: string | undefined;

  const cut = (why: string) => {
    reason ??= why;
    socket.destroy();
  };

  socket.setNoDelay(true);
  // A peer gone without a word (power cut, NAT state lost) shows up as a timed-out connection.
  socket.setKeepAlive(true, KEEP_ALIVE_MS);
  socket.on('data', (chunk: Buffer) => {
    const fed = feedTcp(framer, chunk);
    framer = fed.state;
    for (const bytes of fed.packets) {
      stats.packetsIn += 1;
      packets.next({ bytes, at: scheduler.now() });
    }
    if (fed.error !== undefined) {
      problems('tcp framing error', `${peer}: ${fed.error}; connection closed`);
      cut(`framing error: ${fed.error}`);
    }
  });
  socket.on('end', () => {
    reason ??= 'closed by peer';
  });
  socket.on('error', (error) => {
    reason ??= errorText(error);
  });
  socket.on('close', () => {
    packets.complete();
    closed.next(reason ?? 'closed');
    closed.complete();
  });

  let closing = false;
  const close = () => {
    if (closing || socket.destroyed) return;
    closing = true;
    // A graceful close: FIN after what is queued, then read on (and drop) until the peer's FIN
    // ends it, or the deadline does. Destroying with input unread would send a reset, which
    // kills an original msInetDriver (it dies of SIGPIPE answering it with a TCPBye).
    const deadline = scheduler.schedule(
      () => cut('close timed out with data unsent'),
      settings.closeTimeoutMs,
    );
    socket.once('close', () => deadline.unsubscribe());
    // Once our FIN has left, the reason is said; the deadline then only ends a peer that keeps its end open.
    socket.end(() => (reason ??= 'closed'));
  };

  const send = (bytes: Uint8Array): boolean => {
    if (socket.destroyed || !socket.writable) return false;
    if (socket.writableLength + bytes.length > settings.maxQueueBytes) {
      stats.overflows += 1;
      const action = settings.onOverflow === 'close' ? 'connection closed' : 'packet dropped';
      problems('tcp send queue full', `${peer}: ${socket.writableLength} bytes unsent; ${action}`);
      if (settings.onOverflow === 'close') cut('send queue full: the peer reads nothing');
      return false;
    }
    try {
      if (!socket.write(bytes)) stats.queued += 1;
    } catch (error) {
      problems('tcp send failed', `${peer}: ${errorText(error)}`);
      return false;
    }
    stats.packetsOut += 1;
    stats.bytesOut += bytes.length;
    return true;
  };

  return {
    remote,
    local,
    packets$: packets.asObservable(),
    closed$: closed.asObservable(),
    send,
    close,
    stats: () => ({ ...stats }),
  };
}

export function tcpListener(options: TcpListenerOptions): Observable<TcpListener> {
  const host = options.host ?? '0.0.0.0';
  return new Observable<TcpListener>((subscriber) => {
    const config = settings(options);
    const connections = new Subject<TcpConnection>();
    const open = new Set<TcpConnection>();
    const server: Server = createServer({ noDelay: true });
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let listening = false;
    let closed = false;

    server.on('connection', (socket) => {
      // Nobody takes connections now (the driver sleeps): they are not held open.
      if (!connections.observed) return void socket.destroy();
      const connection = tcpConnection(socket, config);
      open.add(connection);
      connection.closed$.subscribe(() => open.delete(connection));
      connections.next(connection);
    });
    server.on('error', (error) => {
      if (!listening) subscriber.error(bindError('TCP', options.port, host, error));
      else config.problems('tcp listener error', errorText(error));
    });
    server.listen({ port: options.port, host, exclusive: true }, () => {
      listening = true;
      // listen() resolves the host first: an unsubscribe may have come in between.
      if (closed) return void server.close();
      subscriber.next({ port: options.port, host, connections$: connections.asObservable() });
    });

    return () => {
      closed = true;
      if (server.listening) server.close();
      // The connections go once this unsubscription has run its course: whoever took a connection
      // from `connections$` (a WAN station inside a switchMap on this listener, whose teardown RxJS
      // runs after its source's) says goodbye (a TCPBye) on it first, which a closed one would refuse.
      queueMicrotask(() => {
        for (const connection of open) connection.close();
      });
      connections.complete();
    };
  });
}

export function tcpConnect(options: TcpConnectOptions): Observable<Result<TcpConnection>> {
  const target = `${options.address}:${options.port}`;
  return new Observable<Result<TcpConnection>>((subscriber) => {
    const config = settings(options);
    const socket = connect({
      host: options.address,
      port: options.port,
      noDelay: true,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    let connection: TcpConnection | undefined;

    const giveUp = (reason: string) => {
      socket.destroy();
      subscriber.next(fail(`no TCP at ${target}: ${reason}`));
      subscriber.complete();
    };
    const timeout = config.scheduler.schedule(
      () => giveUp('no answer'),
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    const onConnectError = (error: Error) => {
      timeout.unsubscribe();
      giveUp(errorText(error));
    };
    socket.once('error', onConnectError);
    socket.once('connect', () => {
      timeout.unsubscribe();
      socket.off('error', onConnectError);
      const connected = tcpConnection(socket, config);
      connection = connected;
      connected.closed$.subscribe(() => subscriber.complete());
      subscriber.next(ok(connected));
    });

    return () => {
      timeout.unsubscribe();
      if (connection === undefined) socket.destroy();
      else connection.close();
    };
  });
}
