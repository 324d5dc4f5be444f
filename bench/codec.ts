/**
 * Codec throughput: events per second through packetize + encodePacket
 * (sending) and decodePacket + the stream parser (receiving), for a
 * realistic mix of events, per grouping burst size and size limit.
 * Prints a markdown table. Run: node --import tsx bench/codec.ts
 */
import { performance } from 'node:perf_hooks';
import type { MidiEvent } from '../src/model/event.js';
import { decodePacket, encodePacket } from '../src/wire/codec.js';
import { LAN_MAX_EVENT_BYTES, WAN_MAX_EVENT_BYTES } from '../src/wire/packet.js';
import { packetize } from '../src/wire/packetizer.js';
import { feedPacket, initialStreamParser } from '../src/wire/stream-parser.js';

/** Deterministic, so runs compare: a small linear congruential generator. */
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const pick = (n: number) => Math.floor(random() * n);

/** What a keyboard player with a controller and a clock sends: mostly notes, some controllers, a little SysEx. */
function realisticEvent(): MidiEvent {
  const base = { date: pick(10), port: 0, chan: pick(16) };
  const roll = random();
  if (roll < 0.35) return { type: 'keyOn', ...base, pitch: 36 + pick(60), vel: 1 + pick(126) };
  if (roll < 0.7) return { type: 'keyOff', ...base, pitch: 36 + pick(60), vel: 64 };
  if (roll < 0.85) return { type: 'ctrlChange', ...base, ctrl: pick(120), value: pick(128) };
  if (roll < 0.92) return { type: 'pitchWheel', ...base, value: pick(16384) };
  if (roll < 0.97) return { type: 'clock', ...base };
  if (roll < 0.99) return { type: 'note', ...base, pitch: 60, vel: 100, dur: 250 };
  return { type: 'sysEx', ...base, data: Array.from({ length: 24 }, () => pick(128)) };
}

interface Row {
  limit: string;
  burst: number;
  bytesPerEvent: number;
  encodePerSecond: number;
  decodePerSecond: number;
}

/** Runs `work` (which handles `eventsPerCall` events) for about `ms` and returns events per second. */
function rate(eventsPerCall: number, work: () => void, ms = 700): number {
  for (let i = 0; i < 50; i++) work(); // warm-up: let the JIT settle
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 20; i++) work();
    calls += 20;
    elapsed = performance.now() - start;
  }
  return (calls * eventsPerCall) / (elapsed / 1000);
}

function measure(limit: string, maxEventBytes: number, burst: number): Row {
  const bursts = Array.from({ length: 64 }, () => Array.from({ length: burst }, realisticEvent));
  let serial = 1;
  let next = 0;
  const send = () => {
    const events = bursts[next++ % bursts.length]!;
    const packets = packetize(events, { firstSerial: serial, date: 1000, maxEventBytes });
    serial += packets.length;
    return packets.map((p) => encodePacket(p));
  };
  const datagrams = bursts.map(() => send());
  const wireBytes = datagrams.flat().reduce((n, d) => n + d.length, 0);

  let parser = initialStreamParser();
  let received = 0;
  const receive = () => {
    for (const bytes of datagrams[next++ % datagrams.length]!) {
      const packet = decodePacket(bytes);
      if (!packet.ok || packet.value.kind !== 'midi') throw new Error('bench datagram does not decode');
      const step = feedPacket(parser, packet.value, false);
      parser = step.state;
      received += step.events.length;
    }
  };
  const row = {
    limit,
    burst,
    bytesPerEvent: wireBytes / (bursts.length * burst),
    encodePerSecond: rate(burst, send),
    decodePerSecond: rate(burst, receive),
  };
  if (received === 0) throw new Error('nothing was decoded');
  return row;
}

const rows: Row[] = [];
for (const [limit, bytes] of [
  ['LAN 1468', LAN_MAX_EVENT_BYTES],
  ['WAN 480', WAN_MAX_EVENT_BYTES],
] as const) {
  for (const burst of [1, 8, 64, 512]) rows.push(measure(limit, bytes, burst));
}

const thousands = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')} k`;
console.log(
  `Codec throughput (node ${process.version}, ${new Date().toISOString().slice(0, 10)}; mix: notes, controllers, clock, some SysEx)\n`,
);
console.log(
  '| size limit | events per packet group | wire bytes / event | encode events/s | decode events/s |',
);
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.limit} | ${r.burst} | ${r.bytesPerEvent.toFixed(1)} | ${thousands(r.encodePerSecond)} | ${thousands(r.decodePerSecond)} |`,
  );
}
