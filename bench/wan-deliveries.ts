/**
 * The server benchmark's bookkeeping (bench/wan-load.ts), apart from its
 * processes so that it can be tested: which event of which client `msinet
 * dump --json` delivered when, and the delays drawn from that.
 */
import { appendFileSync } from 'node:fs';
import { PROBE_BASE } from './lan-events.js';
import { idOfDumpLine } from './lan-pair-cli.js';
import { summarize, type Summary } from './lan-stats.js';

/** The sender's name in a line of `msinet dump --json` (`{"time":…,"from":"NAME",…}`). */
const DUMP_FROM = /^\{"time":[^,]*,"from":"((?:[^"\\]|\\.)*)"/;

/**
 * Delivery stamps of one run, read from dump's lines: per client, one slot an
 * event (NaN until it arrives; a second arrival is not a delivery), in flat
 * arrays, as the run is 60,000 events a client.
 */
export class Deliveries {
  onProbe: (from: string) => void = () => undefined;
  private slots = new Map<string, Float64Array>();
  private names: readonly string[] = [];
  private first = 0;
  private total = 0;
  private arrived = 0;

  expect(names: readonly string[], first: number, total: number): void {
    this.names = names;
    this.first = first;
    this.total = total;
    this.arrived = 0;
    this.slots = new Map(names.map((name) => [name, new Float64Array(total).fill(Number.NaN)]));
  }

  read(line: string, at: number): void {
    const id = idOfDumpLine(line);
    if (id === undefined) return;
    const from = DUMP_FROM.exec(line)?.[1];
    if (from === undefined) return;
    if (id >= PROBE_BASE) return this.onProbe(from);
    const slots = this.slots.get(from);
    const k = id - this.first;
    if (slots === undefined || k < 0 || k >= this.total || !Number.isNaN(slots[k])) return;
    slots[k] = at;
    this.arrived += 1;
  }

  /** One JSON line a client: `{"client", "sent": [ms…], "delivered": [ms | null…]}`, appended to `file`. */
  keepRaw(file: string, sentAt: Float64Array): void {
    this.names.forEach((name, c) => {
      const slots = this.slots.get(name) as Float64Array;
      const sent = Array.from(sentAt.subarray(c * this.total, (c + 1) * this.total));
      const delivered = Array.from(slots, (at) => (Number.isNaN(at) ? null : at));
      appendFileSync(file, `${JSON.stringify({ client: name, first: this.first, sent, delivered })}\n`);
    });
  }

  count(): number {
    return this.arrived;
  }

  /**
   * delivery − send − `constantMs` of every delivered event, and when it was
   * sent; `sentAt` holds the clients' stamps in client order.
   */
  delays(sentAt: Float64Array, constantMs: number): { delays: number[]; sentTimes: number[] } {
    const delays: number[] = [];
    const sentTimes: number[] = [];
    this.names.forEach((name, c) => {
      const slots = this.slots.get(name) as Float64Array;
      for (let k = 0; k < this.total; k++) {
        const delivered = slots[k] as number;
        const sent = sentAt[c * this.total + k] as number;
        if (Number.isNaN(delivered)) continue;
        delays.push(delivered - sent - constantMs);
        sentTimes.push(sent);
      }
    });
    return { delays, sentTimes };
  }
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
