/**
 * What one packet's work costs when it comes after a pause, as it does at
 * every deadline a driver meets (a group that closes, a delivery that falls
 * due): code that ran a moment ago is fast, code that comes back after the
 * thread slept or the CPU ran something else is many times slower.
 *
 *   node --import tsx bench/cold-path.ts [runs]
 *
 * The work is a sender's (packetize one event, encode the packet) and a
 * receiver's (decode the packet, parse its events); the pause before each run
 * is none, an `Atomics.wait` sleep (how the precise scheduler waits), or a
 * spin on the clock. Prints a markdown table of µs per run.
 */
import * as hdr from 'hdr-histogram-js';
import type { MidiEvent } from '../src/model/event.js';
import { decodePacket, encodePacket } from '../src/wire/codec.js';
import { fineMaxEventBytes } from '../src/wire/fine-dates.js';
import { LAN_MAX_EVENT_BYTES, type MidiPacket } from '../src/wire/packet.js';
import { packetize } from '../src/wire/packetizer.js';
import { feedPacket, initialStreamParser } from '../src/wire/stream-parser.js';

const runs = Number(process.argv[2] ?? 500);
const event: MidiEvent = { type: 'keyOn', port: 0, chan: 1, pitch: 60, vel: 90, date: 3.3 };
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const clockUs = () => performance.now() * 1e3;

/** A sender's work when its group closes: the packet's bytes. */
function send(): Uint8Array {
  const options = { firstSerial: 1, date: 1234.5, maxEventBytes: fineMaxEventBytes(LAN_MAX_EVENT_BYTES) };
  const [packet] = packetize([event], { ...options, fine: true });
  if (packet === undefined) throw new Error('no packet');
  return encodePacket(packet);
}

/** A receiver's work when the packet comes: its events. */
function receive(bytes: Uint8Array): number {
  const decoded = decodePacket(bytes);
  if (!decoded.ok || decoded.value.kind !== 'midi') throw new Error('not a Midi packet');
  return feedPacket(initialStreamParser(), decoded.value as MidiPacket, false).events.length;
}

interface Pause {
  name: string;
  run(): void;
}

const pauses: Pause[] = [
  { name: 'none (back to back)', run: () => undefined },
  ...[0.25, 1, 5].map((ms) => ({ name: `sleep ${ms} ms`, run: () => void Atomics.wait(sleeper, 0, 0, ms) })),
  {
    name: 'spin 5 ms on the clock',
    run: () => {
      const end = performance.now() + 5;
      while (performance.now() < end);
    },
  },
];

// Optimized first, so every row measures optimized code.
for (let i = 0; i < 20_000; i++) receive(send());

console.log(`### One packet's work after a pause (${runs} runs each)\n`);
console.log(
  '| pause before the work | reading the clock, p50 (µs) | send p50 (µs) | send p90 (µs) | receive p50 (µs) | receive p90 (µs) |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const pause of pauses) {
  const [clock, sent, received] = [hdr.build(), hdr.build(), hdr.build()];
  for (let i = 0; i < runs; i++) {
    pause.run();
    const before = clockUs();
    const t0 = clockUs();
    const bytes = send();
    const t1 = clockUs();
    receive(bytes);
    const t2 = clockUs();
    clock.recordValue(Math.round((t0 - before) * 10));
    sent.recordValue(Math.round((t1 - t0) * 10));
    received.recordValue(Math.round((t2 - t1) * 10));
  }
  const us = (histogram: hdr.Histogram, p: number) => (histogram.getValueAtPercentile(p) / 10).toFixed(1);
  console.log(
    `| ${pause.name} | ${us(clock, 50)} | ${us(sent, 50)} | ${us(sent, 90)} | ${us(received, 50)} | ${us(received, 90)} |`,
  );
}
console.log(
  '\nThe same code, already optimized, on the same data: only the pause differs. ' +
    '"Reading the clock" is the measurement\'s own cost: two reads of `performance.now()` back to back.',
);
