/**
 * Hostile local clients (SPEC §10) against a real local endpoint
 * (src/sources/local-endpoint.ts) on a Unix socket in a temp folder, over a
 * hub (src/sinks/hub.ts), with two well-behaved clients beside it.
 *
 * A fuzzing connection sends lines of three sorts:
 * - structure-aware: requests of the right shape (docs/local-protocol.md)
 *   with wrong values, wrong types and wrong sizes — every op, its own fields
 *   and others, ids of every type, Event JSON with fields out of range, the
 *   largest SysEx and text and one byte more, `events` arrays of up to 4,097;
 * - requests as a careful client writes them, one field maybe made wrong;
 * - raw garbage: random bytes (invalid UTF-8 included), JSON that is no
 *   object, objects that are no request.
 * Each line is followed by a sentinel request, so the replies that belong to
 * it are known: a blank line gets none, every other line exactly one, an
 * error when the line is certainly bad, with the request's op (or null) and
 * its id echoed. The sentinel's own reply shows the connection still works.
 * Every batch, the well-behaved clients still exchange an event, and at the
 * end the fuzzing connection's client is gone with its connections.
 *
 * Each run tries 300 batches of 1–20 lines of any sort: 3,108 lines with the
 * fixed seed (test/harness/fuzz.ts; the count is printed as a diagnostic).
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { createHub, type Hub } from '../../src/sinks/hub.js';
import { serveLocalEndpoint, type EndpointNotice } from '../../src/sources/local-endpoint.js';
import { connectEndpoint, type EndpointClient } from '../../src/tool/endpoint-client.js';
import { OPS, type DeliveryPush } from '../../src/wire/local-protocol.js';
import { ALL_EVENT_TYPES } from '../wire/arbitraries.js';
import { bytesUpTo, fuzzParameters } from '../harness/fuzz.js';

const BATCHES = 300;
const MAX_LINES_PER_BATCH = 20;
const REPLY_TIMEOUT_MS = 10_000;

/** A line the fuzzer sends, and whether it is certainly an error (else it may or may not be one). */
interface FuzzLine {
  bytes: Buffer;
  bad: boolean;
}

const line = (text: string, bad: boolean): FuzzLine => ({ bytes: Buffer.from(text, 'utf8'), bad });

// ------------------------------------------------------------ structure-aware

/** Any JSON value, from small to large. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1, 127, 128, 255, 256, 16383, 16384, 65536, 2 ** 31, -(2 ** 31), 1e308, 0.5, -0.0),
  fc.string({ maxLength: 10_000, size: 'max' }),
  fc.constantFrom('', ' ', '\u0000', 'a'.repeat(65), 'msLANDriver', 'bystander', 'player', '0', '1', '99999'),
);

/** Event JSON of every type, each field right, wrong, missing or extra. */
const eventJson: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.oneof(fc.constantFrom(...ALL_EVENT_TYPES), anyValue),
        port: fc.oneof(fc.integer({ min: 0, max: 255 }), anyValue),
        chan: fc.oneof(fc.integer({ min: 0, max: 15 }), anyValue),
        date: fc.oneof(fc.integer({ min: -1000, max: 1000 }), anyValue),
        pitch: fc.oneof(fc.integer({ min: 0, max: 127 }), anyValue),
        vel: fc.oneof(fc.integer({ min: 0, max: 127 }), anyValue),
        dur: fc.oneof(fc.integer({ min: 0, max: 32767 }), anyValue),
        ctrl: fc.oneof(fc.integer({ min: 0, max: 127 }), anyValue),
        value: fc.oneof(fc.integer({ min: 0, max: 16383 }), anyValue),
        // Around MAX_SYSEX_DATA (65,530) too: the largest event, and one byte more.
        data: fc.oneof(
          fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }),
          fc.constantFrom(65_530, 65_531).map((n) => new Array<number>(n).fill(0)),
          anyValue,
        ),
        text: fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom(65_530, 65_531, 32_766).map((n) => 'é'.repeat(n / 2)),
          anyValue,
        ),
        extra: anyValue,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyValue },
);

/** `events` of any length, 4,096 and 4,097 among them: the limit per request. */
const eventList = fc.oneof(
  fc.array(eventJson, { maxLength: 3 }),
  fc
    .tuple(
      fc.constantFrom(4_095, 4_096, 4_097),
      fc.constantFrom({ type: 'start' }, { type: 'keyOn', pitch: 1 }),
    )
    .map(([n, event]) => Array.from({ length: n }, () => event)),
);

/** Fields of every op, each right or wrong. */
const fieldValue: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), anyValue),
  from: anyValue,
  fromRemotes: fc.oneof(fc.boolean(), anyValue),
  transient: fc.oneof(fc.boolean(), anyValue),
  src: anyValue,
  dst: anyValue,
  event: eventJson,
  events: fc.oneof(eventList, anyValue),
};
const FIELD_NAMES = Object.keys(fieldValue);

const structured: fc.Arbitrary<FuzzLine> = fc
  .record({
    op: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...OPS.filter((op) => op !== 'drain')) },
      { weight: 1, arbitrary: anyValue },
    ),
    id: fc.option(anyValue, { nil: undefined }),
    fields: fc.uniqueArray(
      fc.constantFrom(...FIELD_NAMES, 'colour', '__proto__', 'constructor', 'push', 'ok'),
      {
        maxLength: 4,
      },
    ),
  })
  .chain(({ op, id, fields }) =>
    fc
      .tuple(...fields.map((name) => (Object.hasOwn(fieldValue, name) ? fieldValue[name]! : anyValue)))
      .map((values) => {
        const request: Record<string, unknown> = { op };
        if (id !== undefined) request['id'] = id;
        fields.forEach((name, i) =>
          Object.defineProperty(request, name, { value: values[i], enumerable: true }),
        );
        return request;
      }),
  )
  .map((request) => {
    const text = JSON.stringify(request);
    // Certainly bad: an unknown op, a field no op takes, `events` past the limit.
    const badOp = typeof request['op'] !== 'string' || !(OPS as readonly string[]).includes(request['op']);
    const foreign = Object.keys(request).some(
      (key) => key !== 'op' && key !== 'id' && !FIELD_NAMES.includes(key),
    );
    const events = request['events'];
    const tooMany = request['op'] === 'send' && Array.isArray(events) && events.length > 4_096;
    return line(text, badOp || foreign || tooMany);
  });

/** Requests as a careful client writes them, then one field (maybe) made wrong. */
const nearlyValid: fc.Arbitrary<FuzzLine> = fc
  .tuple(
    fc.constantFrom<[Record<string, unknown>, boolean]>(
      [{ op: 'status' }, false],
      [{ op: 'clients' }, false],
      [{ op: 'watch' }, false],
      [{ op: 'open', name: 'fuzzer', transient: true }, false],
      [{ op: 'open', name: 'fuzzer', from: 'player' }, false],
      [{ op: 'close' }, false],
      [{ op: 'connect', src: 'player', dst: 'fuzzer' }, false],
      [{ op: 'disconnect', src: 'player', dst: 'fuzzer' }, false],
      [{ op: 'send', event: { type: 'keyOn', pitch: 60, vel: 100 } }, false],
      [
        { op: 'send', events: [{ type: 'start' }, { type: 'ctrlChange', chan: 3, ctrl: 7, value: 90 }] },
        false,
      ],
      // The limit: 4,096 events a request, and one more.
      [{ op: 'send', events: new Array(4_096).fill({ type: 'clock' }) }, false],
      [{ op: 'send', events: new Array(4_097).fill({ type: 'clock' }) }, true],
    ),
    fc.option(
      fc.tuple(fc.constantFrom('name', 'from', 'transient', 'src', 'dst', 'event', 'events'), anyValue),
      {
        nil: undefined,
      },
    ),
    fc.option(fc.oneof(fc.integer(), fc.string({ maxLength: 10 })), { nil: undefined }),
  )
  .map(([[request, bad], wrong, id]) => {
    const made: Record<string, unknown> = { ...request, ...(id === undefined ? {} : { id }) };
    if (wrong !== undefined && wrong[0] in request) made[wrong[0]] = wrong[1];
    return line(JSON.stringify(made), bad);
  });

// ------------------------------------------------------------------ garbage

const garbage: fc.Arbitrary<FuzzLine> = fc.oneof(
  // Any bytes but a newline: invalid UTF-8, control characters, NULs.
  bytesUpTo(2_000).map((bytes) => ({
    bytes: Buffer.from(bytes.map((b) => (b === 0x0a ? 0x0b : b))),
    bad: true,
  })),
  fc.string({ maxLength: 200 }).map((text) => ({ bytes: Buffer.from(text.replace(/\n/g, ' ')), bad: true })),
  // JSON, but no object, or an object without a known op.
  fc.jsonValue().map((value) => {
    const text = JSON.stringify(value);
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    const op = isObject ? (value as Record<string, unknown>)['op'] : undefined;
    return line(text, !(typeof op === 'string' && (OPS as readonly string[]).includes(op)));
  }),
  fc
    .constantFrom('{', '}', '{"op":', '{"op":"open"', 'null', '[]', '""', '{"op":"open"}}', '\r', '  ')
    .map((text) => line(text, true)),
);

// ------------------------------------------------------------------ the run

/** A raw connection: lines written as they are, replies read one by one. */
function rawConnection(path: string) {
  const socket: Socket = createConnection(path);
  const lines: string[] = [];
  let buffered = Buffer.alloc(0);
  const listeners = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let i = buffered.indexOf(10); i >= 0; i = buffered.indexOf(10)) {
      lines.push(buffered.subarray(0, i).toString('utf8'));
      buffered = buffered.subarray(i + 1);
    }
    for (const listener of [...listeners]) listener();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  /** Waits until a line satisfies `found` (searching from `from`); its index. */
  const waitFor = (from: number, found: (text: string) => boolean, what: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const index = lines.findIndex((text, i) => i >= from && found(text));
        if (index < 0) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(index);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(`no ${what} within ${REPLY_TIMEOUT_MS} ms; last lines: ${lines.slice(-3).join(' | ')}`),
        );
      }, REPLY_TIMEOUT_MS);
      listeners.add(check);
      check();
    });
  return { socket, lines, waitFor, closed };
}

/** What a line is, once read by the endpoint: blank ones get no reply. */
function expectsReply(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  return (text.endsWith('\r') ? text.slice(0, -1) : text).trim() !== '';
}

/** The request's op and id as the endpoint reads them, if the line is a JSON object. */
function requestOf(bytes: Buffer): { op: unknown; id: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const fields = value as Record<string, unknown>;
    return { op: fields['op'], id: fields['id'] };
  } catch {
    return undefined;
  }
}

describe('local endpoint fuzz', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-endpoint-fuzz-'));
  const path = join(dir, 'endpoint.sock');
  let hub: Hub;
  let endpoint: Subscription;
  const notices: EndpointNotice[] = [];
  let bystander: EndpointClient;
  let player: EndpointClient;

  before(async () => {
    hub = createHub({ driverName: 'msLANDriver' });
    await new Promise<void>((listening, failed) => {
      endpoint = serveLocalEndpoint({ path, hub, status: () => ({ mode: 'lan', port: 4950 }) }).subscribe({
        next: (notice) => {
          if (notices.length < 1_000) notices.push(notice);
          if (notice.kind === 'listening') listening();
        },
        error: failed,
      });
    });
    bystander = await connectEndpoint(path);
    player = await connectEndpoint(path);
    assert.equal((await bystander.request('open', { name: 'bystander' })).ok, true);
    assert.equal((await player.request('open', { name: 'player' })).ok, true);
    assert.equal((await player.request('connect', { src: 'player', dst: 'bystander' })).ok, true);
  });
  after(() => {
    bystander?.close();
    player?.close();
    endpoint?.unsubscribe();
    hub?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The well-behaved pair still works: an event from player reaches bystander,
   * with its fields. The fuzzer may have disconnected them (a valid request):
   * connect is idempotent, so they connect again first.
   */
  const neighboursWork = async (pitch: number) => {
    assert.equal((await player.request('connect', { src: 'player', dst: 'bystander' })).ok, true);
    const delivered = firstValueFrom(
      bystander.pushes$.pipe(
        filter(
          (p): p is DeliveryPush =>
            p.push === 'delivery' &&
            p.from === 'player' &&
            p.event['pitch'] === pitch &&
            p.event['vel'] === 1,
        ),
        timeout(REPLY_TIMEOUT_MS),
      ),
    );
    const sent = await player.request('send', { event: { type: 'keyOn', pitch, vel: 1 } });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    await delivered;
  };

  test('every line gets its one reply (an error when bad); the connection and everyone else carry on', async (t) => {
    const fuzzer = rawConnection(path);
    let sentinel = 0;
    const seen = { lines: 0, errors: 0, oks: 0, blank: 0 };

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(structured, nearlyValid, garbage), {
          minLength: 1,
          maxLength: MAX_LINES_PER_BATCH,
          size: 'max',
        }),
        async (batch) => {
          // Each batch begins with a client open on the fuzzing connection (a batch may close it):
          // without one, every send is refused before its events are even read.
          fuzzer.socket.write('{"op":"open","name":"fuzzer","id":"opening"}\n');
          await fuzzer.waitFor(fuzzer.lines.length, (text) => text.includes('"id":"opening"'), 'the open');
          const from = fuzzer.lines.length;
          const ids = batch.map(() => `sentinel-${++sentinel}`);
          fuzzer.socket.write(
            Buffer.concat(
              batch.flatMap((l, i) => [l.bytes, Buffer.from(`\n{"op":"status","id":"${ids[i]}"}\n`)]),
            ),
          );
          const last = ids[ids.length - 1] as string;
          await fuzzer.waitFor(from, (text) => text.includes(`"id":"${last}"`), `the reply to ${last}`);

          // Replies, pushes left out, cut at each sentinel's reply: what came for each line.
          const replies = fuzzer.lines
            .slice(from)
            .map((text) => JSON.parse(text) as Record<string, unknown>)
            .filter((message) => !('push' in message));
          let at = 0;
          for (const [i, fuzz] of batch.entries()) {
            const mine: Record<string, unknown>[] = [];
            while (at < replies.length && replies[at]?.['id'] !== ids[i])
              mine.push(replies[at++] as Record<string, unknown>);
            const sentinelReply = replies[at++];
            const shown = JSON.stringify(fuzz.bytes.toString('utf8').slice(0, 300));
            assert.equal(sentinelReply?.['ok'], true, `the connection still answers after ${shown}`);
            seen.lines += 1;
            if (!expectsReply(fuzz.bytes)) {
              seen.blank += 1;
              assert.deepEqual(mine, [], `a blank line gets no reply: ${shown}`);
              continue;
            }
            assert.equal(mine.length, 1, `one reply to ${shown}: ${JSON.stringify(mine)}`);
            const reply = mine[0] as Record<string, unknown>;
            assert.equal(typeof reply['ok'], 'boolean');
            const request = requestOf(fuzz.bytes);
            const id = request?.id;
            if (typeof id === 'string' || typeof id === 'number')
              assert.equal(reply['id'], id, 'the id echoed');
            else assert.equal('id' in reply, false, 'no id when the request had none');
            const validOp =
              typeof request?.op === 'string' && (OPS as readonly string[]).includes(request.op);
            if (reply['ok'] === false) {
              seen.errors += 1;
              assert.equal(typeof reply['error'], 'string');
              assert.ok((reply['error'] as string).length > 0, 'an error says why');
              assert.equal(reply['op'], validOp ? request?.op : null, 'the op, or null');
            } else {
              seen.oks += 1;
              assert.ok(!fuzz.bad, `${shown} is bad, yet the reply is ${JSON.stringify(reply)}`);
              assert.equal(reply['op'], request?.op);
            }
          }
          assert.equal(at, replies.length, 'no reply left over');
          await neighboursWork(sentinel % 128);
        },
      ),
      // A failing batch is reported as found, not shrunk: each try costs socket round trips.
      { ...fuzzParameters(BATCHES), endOnFailure: true },
    );

    t.diagnostic(`${JSON.stringify(seen)}`);
    assert.ok(seen.errors > seen.lines / 2, 'most lines are errors');
    assert.ok(seen.oks > 100, 'some fuzzed requests were good ones');
    assert.ok(
      notices.some((n) => n.kind === 'log' && n.level === 'warn' && /line \d+: /.test(n.message)),
      'bad lines are logged as warnings',
    );

    // Going away closes the fuzzer's client, if it opened one, and every connection it made.
    fuzzer.socket.destroy();
    await fuzzer.closed;
    const deadline = Date.now() + 5_000;
    while (hub.snapshot().clients.length > 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      hub.snapshot().clients.map((c) => c.name),
      ['msLANDriver', 'bystander', 'player'],
    );
    const [, bystanderRef, playerRef] = hub.snapshot().clients.map((c) => c.ref);
    assert.deepEqual(hub.snapshot().connections, [{ src: playerRef, dst: bystanderRef }]);
    await neighboursWork(64);
  });
});
