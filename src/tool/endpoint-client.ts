/**
 * Talking to a driver's local endpoint (docs/local-protocol.md) from another
 * process: requests answered by promises (matched by `id`), pushes as an
 * Observable. `msinet` is built on it; so can any Node program.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { Observable, Subject } from 'rxjs';
import { splitLines } from '../operators/split-lines.js';
import { DELIVERY_PUSH_PREFIX, type Op, type Push, type Reply } from '../wire/local-protocol.js';

/** Nothing answers on the path: no driver runs there. */
export class NoDriverError extends Error {
  override name = 'NoDriverError';
  constructor(readonly path: string) {
    super(`no msInetDriver is running on ${path}`);
  }
}

/** A driver is there, but its socket is not ours to use (mode 0600, another user's). */
export class NotYourDriverError extends Error {
  override name = 'NotYourDriverError';
  constructor(readonly path: string) {
    super(`msInetDriver's socket ${path} is not yours to use (permission denied)`);
  }
}

export interface EndpointClientOptions {
  /**
   * 'text': each delivery comes on `deliveryTexts$`, unparsed, as the JSON
   * text of `{ time, from, event }` (the delivery push without its `push`
   * field), for a program that passes deliveries on as JSON (`msinet dump
   * --json`): parsing and writing them again would cost it most of its time.
   * Default 'parsed': deliveries are pushes on `pushes$`.
   */
  deliveries?: 'parsed' | 'text';
}

export interface EndpointClient {
  /** Sends one request; resolves with its reply (ok or not); rejects if the connection ends first. */
  request(op: Op, fields?: Record<string, unknown>): Promise<Reply>;
  /**
   * The same, with the fields already JSON text (`"events":[…]`), for a caller that
   * has them as text and need not parse them to write them again. `op` and `id` are
   * written after them, so the fields cannot change either.
   */
  requestText(op: Op, fieldsText: string): Promise<Reply>;
  /** Resolves when what was written has gone to the socket: await it between many requests. */
  flushed(): Promise<void>;
  /** Deliveries and client-list changes; completes when the connection ends. */
  readonly pushes$: Observable<Push>;
  /** With `deliveries: 'text'`, the deliveries as JSON text; completes when the connection ends. */
  readonly deliveryTexts$: Observable<string>;
  /** Resolves when the connection ends, whoever ends it. */
  readonly ended: Promise<void>;
  close(): void;
}

export function connectEndpoint(path: string, options: EndpointClientOptions = {}): Promise<EndpointClient> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(path);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EACCES') return reject(new NotYourDriverError(path));
      const absent = ['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR'].includes(error.code ?? '');
      reject(absent ? new NoDriverError(path) : error);
    });
    socket.once('connect', () => resolvePromise(wrap(socket, options.deliveries === 'text')));
  });
}

function wrap(socket: Socket, deliveriesAsText: boolean): EndpointClient {
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  const pushes = new Subject<Push>();
  const deliveryTexts = new Subject<string>();
  let nextId = 1;

  const data$ = new Observable<Buffer>((subscriber) => {
    socket.on('data', (chunk: Buffer) => subscriber.next(chunk));
    socket.on('close', () => subscriber.complete());
  });
  // A driver answers in bounded lines; a peer that does not is not one.
  data$.pipe(splitLines()).subscribe((line) => {
    if (!line.ok) return socket.destroy();
    if (deliveriesAsText && line.value.startsWith(DELIVERY_PUSH_PREFIX)) {
      return deliveryTexts.next(`{${line.value.slice(DELIVERY_PUSH_PREFIX.length)}`);
    }
    let message: unknown;
    try {
      message = JSON.parse(line.value);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const fields = message as Record<string, unknown>;
    if ('push' in fields) return pushes.next(fields as unknown as Push);
    const id = fields['id'];
    const waiter = typeof id === 'number' ? pending.get(id) : undefined;
    if (waiter) {
      pending.delete(id as number);
      waiter.resolve(fields as unknown as Reply);
    }
  });

  socket.on('error', () => undefined); // 'close' follows
  const ended = new Promise<void>((done) =>
    socket.once('close', () => {
      for (const waiter of pending.values()) waiter.reject(new Error('the driver closed the connection'));
      pending.clear();
      pushes.complete();
      deliveryTexts.complete();
      done();
    }),
  );

  const requestLine = (line: (id: number) => string): Promise<Reply> => {
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (socket.destroyed) return reject(new Error('the connection to the driver is closed'));
      pending.set(id, { resolve, reject });
      socket.write(`${line(id)}\n`);
    });
  };

  return {
    request(op, fields = {}) {
      return requestLine((id) => JSON.stringify({ ...fields, op, id }));
    },
    requestText(op, fieldsText) {
      return requestLine((id) => `{${fieldsText},"op":${JSON.stringify(op)},"id":${id}}`);
    },
    async flushed() {
      if (socket.writableNeedDrain) await Promise.race([once(socket, 'drain'), ended]);
    },
    pushes$: pushes.asObservable(),
    deliveryTexts$: deliveryTexts.asObservable(),
    ended,
    close: () => {
      socket.end();
    },
  };
}
