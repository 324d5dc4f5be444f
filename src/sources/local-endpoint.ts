/**
 * The local endpoint (SPEC §3): a Unix domain socket, mode 0600, speaking the
 * newline-delimited JSON of docs/local-protocol.md. Each connection may open
 * one local client of the hub; queries need none, so they never wake a
 * sleeping driver. What a connection says is handled by its conversation
 * (endpoint-session.ts, shared with the WebSocket endpoint): bad input is
 * answered and logged, and touches nobody else; a connection that goes away
 * closes its client.
 *
 * Resources follow the subscription: subscribing claims the path (removing a
 * stale socket file only when nothing answers on it) and listens;
 * unsubscribing closes every connection and removes the file. The notices
 * are for the driver's log.
 */
import { lstat, unlink } from 'node:fs/promises';
import { chmodSync, chownSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import { MAX_LINE_BYTES, splitLines } from '../operators/split-lines.js';
import type { ServerMessage } from '../wire/local-protocol.js';
import { connectionLabel, endpointSession, type SessionOptions } from './endpoint-session.js';

export interface EndpointOptions extends SessionOptions {
  path: string;
  /** Default 1 MiB. */
  maxLineBytes?: number;
  /** Connections served at once. Default 256. */
  maxConnections?: number;
  /** `--socket-group`: this group's members may use the socket too (mode 0660); default only its owner (0600). */
  group?: number;
}

export type EndpointNotice =
  { kind: 'listening'; path: string } | { kind: 'log'; level: 'info' | 'warn'; message: string };

/** The path is held by a live driver, or by something that is not a socket. */
export class EndpointInUseError extends Error {
  override name = 'EndpointInUseError';
}

/** Output a reader may leave unread before it is dropped (SPEC §10: memory stays bounded). */
export const MAX_UNREAD_BYTES = 8 << 20;
/** How long a socket that accepts nothing but does not refuse either counts as alive. */
const PROBE_TIMEOUT_MS = 1000;

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
            if (options.group === undefined) chmodSync(options.path, 0o600);
            else {
              chownSync(options.path, -1, options.group);
              chmodSync(options.path, 0o660);
            }
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

/** One connection: its lines into a conversation, the conversation's messages out; it ends with either. */
function serveConnection(
  socket: Socket,
  options: EndpointOptions,
  notices: Subscriber<EndpointNotice>,
): void {
  const warn = (message: string): void => notices.next({ kind: 'log', level: 'warn', message });
  let label = 'local endpoint connection';

  // Lines written in one turn of the event loop leave in one socket write: a burst of
  // deliveries costs one system call, not one per event.
  let batch: string[] = [];
  const flush = (): void => {
    const lines = batch;
    batch = [];
    if (socket.destroyed || !socket.writable || lines.length === 0) return;
    socket.write(lines.join(''));
    if (socket.writableLength > MAX_UNREAD_BYTES) {
      warn(`${label}: reads too slowly (${socket.writableLength} bytes unread), dropped`);
      socket.destroy();
    }
  };
  const write = (message: ServerMessage): void => {
    if (socket.destroyed || !socket.writable) return;
    label = connectionLabel(label, message);
    if (batch.length === 0) setImmediate(flush);
    batch.push(`${JSON.stringify(message)}\n`);
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

  const conversation = data$
    .pipe(
      splitLines(options.maxLineBytes ?? MAX_LINE_BYTES),
      endpointSession(options, { connection: 'local endpoint connection', message: 'line' }, warn),
    )
    .subscribe({
      next: write,
      // Over (a line too long, or the peer gone): flush what is left, then close.
      complete: () => {
        flush();
        if (!socket.destroyed) socket.end(() => socket.destroy());
      },
    });
  socket.on('error', () => undefined); // 'close' follows; a peer that resets is just gone
  socket.on('close', () => conversation.unsubscribe());
}
