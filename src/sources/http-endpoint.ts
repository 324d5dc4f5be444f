/**
 * The browser's way in (SPEC §12, docs/web.md): `--http <port>` serves the
 * status page, its scripts, and a WebSocket endpoint at `/ws` that speaks
 * exactly the local endpoint protocol (docs/local-protocol.md), one message
 * per frame. Each WebSocket is one conversation (endpoint-session.ts, the one
 * the Unix socket uses too): a page is a local client like any other.
 *
 * Who may come in:
 * - It listens on 127.0.0.1 unless told another address. On loopback without
 *   a token, a request must name a loopback host (`Host: localhost:8080`…):
 *   a web site that rebinds its own name to 127.0.0.1 is refused.
 * - With a token (given whenever `--http-bind` is), the page and the
 *   WebSocket need `?token=…`; the scripts are the package's, public anyway.
 * - A WebSocket whose request has an Origin must come from the page's own
 *   origin (the same host and port; http or https, for a TLS proxy in front).
 *   One without an Origin is not a browser, and is let in like any local
 *   program on the Unix socket (with the token, when there is one).
 *
 * Resources follow the subscription: subscribing listens, unsubscribing
 * closes every connection and the server.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Observable, type Subscriber } from 'rxjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ok, type Result } from '../model/result.js';
import type { ServerMessage } from '../wire/local-protocol.js';
import { connectionLabel, endpointSession, type SessionOptions } from './endpoint-session.js';
import { MAX_UNREAD_BYTES } from './local-endpoint.js';

export interface HttpOptions extends SessionOptions {
  /** TCP port; 0 takes any free one (the `listening` notice tells which). */
  port: number;
  /** Address to listen on. Default 127.0.0.1. */
  bind?: string;
  /** When set, the page and the WebSocket need `?token=` with it. */
  token?: string;
  /** Largest WebSocket message, bytes: as a line of the Unix socket. Default 1 MiB. */
  maxPayload?: number;
  /** WebSockets served at once. Default 64. */
  maxConnections?: number;
  /** The package's folder (holding web/ and dist/). Default: found from this file. */
  root?: string;
}

export type HttpNotice =
  { kind: 'listening'; url: string; port: number } | { kind: 'log'; level: 'info' | 'warn'; message: string };

/** The port is taken, or the address is not ours: said in words a person can act on. */
export class HttpEndpointError extends Error {
  override name = 'HttpEndpointError';
}

const DEFAULT_BIND = '127.0.0.1';
const MAX_PAYLOAD = 1 << 20;
/** A page that vanished without closing (a laptop lid shut) is found by its missing pong and closed. */
const HEARTBEAT_MS = 15_000;
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A fresh token for `--http-bind`: 128 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

export function serveHttp(options: HttpOptions): Observable<HttpNotice> {
  return new Observable<HttpNotice>((notices) => {
    const bind = options.bind ?? DEFAULT_BIND;
    const root = options.root ?? PACKAGE_ROOT;
    const loopback = isLoopback(bind);
    const sockets = new Set<WebSocket>();
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? MAX_PAYLOAD,
      perMessageDeflate: false,
    });
    const warn = (message: string): void => notices.next({ kind: 'log', level: 'warn', message });

    /** Why a request may not come in (status and reason), or undefined when it may. */
    const refusal = (
      request: IncomingMessage,
      url: URL,
      needsToken: boolean,
    ): [number, string] | undefined => {
      const host = request.headers.host ?? '';
      // With a token, a rebinding site cannot get in anyway, and a TLS proxy may forward its own host name.
      const checkHost = loopback && options.token === undefined;
      if (checkHost && !LOOPBACK_NAMES.has(hostName(host)) && hostName(host) !== bind) {
        return [421, `host ${JSON.stringify(host)} is not this machine's loopback`];
      }
      if (
        needsToken &&
        options.token !== undefined &&
        !sameSecret(url.searchParams.get('token'), options.token)
      ) {
        return [401, 'a token is needed: open the address the driver printed at start (…?token=…)'];
      }
      return undefined;
    };

    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const refused = refusal(request, url, url.pathname === '/' || url.pathname === '/index.html');
      if (refused) return respond(response, refused[0], refused[1]);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('Allow', 'GET, HEAD');
        return respond(response, 405, 'only GET and HEAD');
      }
      const asset = assetOf(root, url.pathname);
      if (!asset) return respond(response, 404, 'not found');
      readFile(asset.file).then(
        (body) => {
          response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type });
          response.end(request.method === 'HEAD' ? undefined : body);
        },
        () =>
          respond(response, 404, `not found${asset.built ? ' (run `npm run build` to build the page)' : ''}`),
      );
    });

    server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => undefined);
      const url = new URL(request.url ?? '/', 'http://localhost');
      const refused =
        url.pathname !== '/ws'
          ? ([404, 'the WebSocket endpoint is /ws'] as [number, string])
          : (refusal(request, url, true) ?? foreignOrigin(request) ?? full(sockets.size, options));
      if (refused) {
        warn(`WebSocket from ${socket.remoteAddress ?? '?'} refused: ${refused[1]}`);
        socket.end(
          `HTTP/1.1 ${refused[0]} ${refused[1].replace(/[^\x20-\x7e]/g, '?')}\r\nConnection: close\r\n\r\n`,
        );
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        serveWebSocket(ws, `WebSocket connection from ${socket.remoteAddress ?? '?'}`, options, notices);
      });
    });

    server.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
      notices.error(
        new HttpEndpointError(`cannot serve the web page on ${bind} port ${options.port}: ${why}`),
      );
    });
    server.listen(options.port, bind, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = isIP(bind) === 6 ? `[${bind}]` : bind;
      const query = options.token === undefined ? '' : `?token=${options.token}`;
      notices.next({ kind: 'listening', url: `http://${host}:${port}/${query}`, port });
    });

    const heartbeat = setInterval(() => {
      for (const ws of sockets) {
        if ((ws as AliveSocket).missedPong) ws.terminate();
        else {
          (ws as AliveSocket).missedPong = true;
          ws.ping();
        }
      }
    }, HEARTBEAT_MS);
    heartbeat.unref();

    return () => {
      clearInterval(heartbeat);
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.close(() => undefined);
      server.closeAllConnections();
    };
  });
}

type AliveSocket = WebSocket & { missedPong?: boolean };

/** One WebSocket: each frame one message into its conversation, each message out one frame. */
function serveWebSocket(
  ws: WebSocket,
  label: string,
  options: HttpOptions,
  notices: Subscriber<HttpNotice>,
): void {
  const warn = (message: string): void => notices.next({ kind: 'log', level: 'warn', message });
  ws.on('pong', () => ((ws as AliveSocket).missedPong = false));

  const messages$ = new Observable<Result<string>>((subscriber) => {
    // A binary frame is read as UTF-8 text, as the Unix socket reads its bytes.
    const onMessage = (data: RawData): void => subscriber.next(ok(text(data)));
    const onClose = (): void => subscriber.complete();
    ws.on('message', onMessage);
    ws.on('close', onClose);
    return () => {
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
  });
  // ws answers a frame over maxPayload or bad UTF-8 with a close frame (1009, 1007) and says so here.
  ws.on('error', (error) => warn(`${label}: ${error.message}, closed`));

  let named = label;
  const send = (message: ServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    named = connectionLabel(named, message);
    ws.send(JSON.stringify(message));
    if (ws.bufferedAmount > MAX_UNREAD_BYTES) {
      warn(`${named}: reads too slowly (${ws.bufferedAmount} bytes unread), dropped`);
      ws.terminate();
    }
  };
  const conversation = messages$
    .pipe(endpointSession(options, { connection: label, message: 'message' }, warn))
    .subscribe({ next: send, complete: () => ws.close() });
  ws.on('close', () => conversation.unsubscribe());
}

function text(data: RawData): string {
  const buffers = Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)];
  return Buffer.concat(buffers).toString('utf8');
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function respond(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The file a path names, from a fixed list of places: the page (web/) and the
 * compiled scripts it imports (dist/page, and the pure dist/model and dist/wire).
 * Names are plain (`[a-z0-9-]+.ext`), so no path leaves those folders.
 */
function assetOf(root: string, path: string): { file: string; type: string; built: boolean } | undefined {
  if (path === '/' || path === '/index.html') {
    return { file: join(root, 'web', 'index.html'), type: TYPES['html'] as string, built: false };
  }
  const page = /^\/([a-z0-9-]+)\.(css|svg)$/.exec(path);
  if (page?.[1] && page[2]) {
    return { file: join(root, 'web', `${page[1]}.${page[2]}`), type: TYPES[page[2]] as string, built: false };
  }
  const script = /^\/(page|model|wire)\/([a-z0-9-]+)\.js$/.exec(path);
  if (script?.[1] && script[2]) {
    return {
      file: join(root, 'dist', script[1], `${script[2]}.js`),
      type: TYPES['js'] as string,
      built: true,
    };
  }
  return undefined;
}

/** Refuses a WebSocket a browser opened from another site's page. */
function foreignOrigin(request: IncomingMessage): [number, string] | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  const host = request.headers.host ?? '';
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return [403, `origin ${JSON.stringify(origin)} is not this page's`];
  }
  const same = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === host;
  return same ? undefined : [403, `origin ${origin} is not this page's (${host})`];
}

function full(open: number, options: HttpOptions): [number, string] | undefined {
  const max = options.maxConnections ?? 64;
  return open >= max ? [503, `${max} WebSockets are open already`] : undefined;
}

function sameSecret(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `localhost:8080` → `localhost`; `[::1]:8080` → `[::1]`. */
function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}
