/**
 * The page's side of the local endpoint protocol (docs/local-protocol.md)
 * over a WebSocket: requests answered by their `id`, pushes handed to a
 * listener. The connection comes back by itself after a drop (the driver
 * restarted, the laptop slept): `onConnect` then runs again, to open the
 * client and ask for the pushes anew.
 */
import type { Push, Reply } from '../wire/local-protocol.js';

/** Waits before reconnecting: doubled after each failure, up to the last. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];

export interface EndpointSocketOptions {
  /** Runs on each (re)connection, before anything else is read. */
  onConnect(socket: EndpointSocket): void;
  onPush(push: Push): void;
  onState?(state: 'open' | 'closed'): void;
}

export class EndpointSocket {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly options: EndpointSocketOptions,
  ) {
    this.connect();
  }

  /** The WebSocket URL of this page's driver: `/ws`, with the page's `?token=` when it has one. */
  static urlFor(location: Location): string {
    const token = new URLSearchParams(location.search).get('token');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a request; resolves with its reply (ok or not), or with an error reply when the connection drops. */
  request(op: string, fields: Record<string, unknown> = {}): Promise<Reply> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ ok: false, op: null, error: 'not connected to the driver' });
    }
    const id = this.nextId++;
    return new Promise<Reply>((resolve) => {
      this.waiting.set(id, resolve);
      ws.send(JSON.stringify({ op, id, ...fields }));
    });
  }

  close(): void {
    this.stopped = true;
    this.ws?.close();
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.failures = 0;
      this.options.onState?.('open');
      this.options.onConnect(this);
    });
    ws.addEventListener('message', (message: MessageEvent<string>) => this.receive(message.data));
    ws.addEventListener('close', () => {
      for (const resolve of this.waiting.values())
        resolve({ ok: false, op: null, error: 'connection closed' });
      this.waiting.clear();
      this.options.onState?.('closed');
      if (this.stopped) return;
      const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] ?? 5000;
      this.failures += 1;
      setTimeout(() => this.connect(), wait);
    });
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as Reply | Push;
    if ('push' in message) return this.options.onPush(message as Push);
    const id = typeof message.id === 'number' ? message.id : undefined;
    const resolve = id === undefined ? undefined : this.waiting.get(id);
    if (id !== undefined && resolve) {
      this.waiting.delete(id);
      resolve(message);
    }
  }
}
