/**
 * The server benchmark's bookkeeping (bench/wan-load.ts), apart from its
 * processes so that it can be tested: which event of which client `msinet
 * dump --json` delivered when, and the delays drawn from that.
 */
import { appendFileSync } from 'node:fs';
import { PROBE_BASE } from './lan-events.js';
import { idOfDumpLine } from './lan-pair-cli.js';
import { summarize, type Summary } from './lan-stats.js';

/**
 * The server's delivery time and the sender's name in a line of `msinet dump
 * --json` (`{"time":T,"from":"NAME",…}`): T is the server's clock when its hub
 * handed the event on (src/sinks/hub.ts `route`), which splits a delay into the
 * server's part and the path from it to the benchmark.
 */
const DUMP_TIME_FROM = /^\{"time":([^,]*),"from":"((?:[^"\\]|\\.)*)"/;

/**
 * Delivery stamps of one run, read from dump's lines: per client, one slot an
 * event (NaN until it arrives; a second arrival is not a delivery), in flat
 * arrays, as the run is 60,000 events a client.
 */
export class Deliveries {
  onProbe: (from: string) => void = () => undefined;
  /** Per client: when the benchmark read each event's line (its clock), and the server's `time` of it (the server's). */
  private slots = new Map<string, { read: Float64Array; server: Float64Array }>();
  private names: readonly string[] = [];
  private first = 0;
  private total = 0;
  private arrived = 0;

  expect(names: readonly string[], first: number, total: number): void {
    this.names = names;
    this.first = first;
    this.total = total;
    this.arrived = 0;
    const slots = () => ({
      read: new Float64Array(total).fill(Number.NaN),
      server: new Float64Array(total).fill(Number.NaN),
    });
    this.slots = new Map(names.map((name) => [name, slots()]));
  }

  read(line: string, at: number): void {
    const id = idOfDumpLine(line);
    if (id === undefined) return;
    const match = DUMP_TIME_FROM.exec(line);
    if (match === null) return;
    const [, time, from] = match as unknown as [string, string, string];
    if (id >= PROBE_BASE) return this.onProbe(from);
    const slots = this.slots.get(from);
    const k = id - this.first;
    if (slots === undefined || k < 0 || k >= this.total || !Number.isNaN(slots.read[k])) return;
    slots.read[k] = at;
    slots.server[k] = Number(time);
    this.arrived += 1;
  }

  /** One JSON line a client: `{"client", "sent": [ms…], "delivered": [ms | null…]}`, appended to `file`. */
  keepRaw(file: string, sentAt: Float64Array): void {
    this.names.forEach((name, c) => {
      const { read } = this.slots.get(name) as { read: Float64Array };
      const sent = Array.from(sentAt.subarray(c * this.total, (c + 1) * this.total));
      const delivered = Array.from(read, (at) => (Number.isNaN(at) ? null : at));
      appendFileSync(file, `${JSON.stringify({ client: name, first: this.first, sent, delivered })}\n`);
    });
  }

  count(): number {
    return this.arrived;
  }

  /**
   * delivery − send − `constantMs` of every delivered event, and when it was
   * sent; `sentAt` holds the clients' stamps in client order. Each delay
   * splits into the server's part (from the send to the server's hand-over,
   * less the constant) and the path's (from the hand-over to the benchmark's
   * reading: the endpoint, dump and its pipe). The server's clock is put on
   * the benchmark's by the quickest hand-over-to-reading seen, so the path's
   * part is ≥ 0 and a fraction of a millisecond too small throughout.
   */
  delays(sentAt: Float64Array, constantMs: number): DelayParts {
    const parts: DelayParts = { delays: [], sentTimes: [], server: [], path: [] };
    let origin = Number.POSITIVE_INFINITY;
    for (const { read, server } of this.slots.values()) {
      for (let k = 0; k < this.total; k++) {
        const gap = (read[k] as number) - (server[k] as number);
        if (gap < origin) origin = gap; // NaN (not arrived) never is
      }
    }
    this.names.forEach((name, c) => {
      const { read, server } = this.slots.get(name) as { read: Float64Array; server: Float64Array };
      for (let k = 0; k < this.total; k++) {
        const delivered = read[k] as number;
        const sent = sentAt[c * this.total + k] as number;
        if (Number.isNaN(delivered)) continue;
        const handedOver = (server[k] as number) + origin;
        parts.delays.push(delivered - sent - constantMs);
        parts.sentTimes.push(sent);
        parts.server.push(handedOver - sent - constantMs);
        parts.path.push(delivered - handedOver);
      }
    });
    return parts;
  }
}

export interface DelayParts {
  /** delivery − send − constant, ms. */
  delays: number[];
  /** When each was sent (benchmark clock, ms). */
  sentTimes: number[];
  /** The server's hand-over − send − constant. */
  server: number[];
  /** delivery − the server's hand-over. */
  path: number[];
}

/** The delays of the events sent in each whole second from the first send. */
export function perSecond(sentTimes: readonly number[], delays: readonly number[]): Summary[] {
  let start = Number.POSITIVE_INFINITY;
  for (const sent of sentTimes) if (sent < start) start = sent;
  const buckets: number[][] = [];
  sentTimes.forEach((sent, i) => {
    const second = Math.max(0, Math.floor((sent - start) / 1000));
    (buckets[second] ??= []).push(delays[i] as number);
  });
  return [...buckets].map((bucket) => summarize(bucket ?? []));
}
