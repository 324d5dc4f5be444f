/**
 * A station whose packets are dated far ahead of its own clock, now and then:
 * `far-ahead-flood.ts <address> <port> <name> <pairs> <aheadMs>`. It announces
 * itself (HostID every 100 ms) for 2 s, so the driver opens it, then, each
 * time a line comes on stdin, sends `pairs` pairs of Midi packets: one dated
 * `aheadMs` past its clock holding a 1,000-byte SysEx, one dated now holding
 * a note, and prints `sent <pairs so far>`. The packets dated now keep its
 * clock reference where it was, so each far one is planned that far ahead,
 * never taken for a clock that jumped. It keeps announcing until stdin ends.
 * Plain Buffer writes (test/harness/raw-station.ts).
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { eventBytes, hostIdPacket, midiPacket } from '../harness/raw-station.js';

const [address, portText, name, pairsText, aheadText] = process.argv.slice(2);
if (!address || !portText || !name || !pairsText || !aheadText) {
  process.stderr.write('usage: far-ahead-flood.ts <address> <port> <name> <pairs> <aheadMs>\n');
  process.exit(2);
}
const target = address;
const station = name;
const port = Number(portText);
const pairs = Number(pairsText);
const aheadMs = Number(aheadText);
const origin = performance.now();
const clock = () => (Math.floor(performance.now() - origin) + 100_000) >>> 0;

const socket = createSocket('udp4');
const send = (bytes: Buffer) => new Promise<void>((done) => socket.send(bytes, port, target, () => done()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  await new Promise<void>((bound) => socket.bind(0, () => bound()));
  const announcer = setInterval(() => void send(hostIdPacket(clock(), station)), 100);
  await send(hostIdPacket(clock(), station));
  await sleep(2_000);
  process.stdout.write('ready\n');
  const sysEx = eventBytes(
    17,
    Array.from({ length: 1_000 }, (_, i) => i % 128),
  );
  const note = eventBytes(0, [60, 1, 0, 1]);
  let serial = 1;
  let sent = 0;
  for await (const _line of createInterface({ input: process.stdin })) {
    for (let i = 0; i < pairs; i++) {
      await send(midiPacket({ serial: serial++, date: (clock() + aheadMs) >>> 0, events: sysEx }));
      await send(midiPacket({ serial: serial++, date: clock(), events: note }));
      if (i % 50 === 49) await sleep(5); // let the driver keep up: the point is what it holds, not what it drops
    }
    sent += pairs;
    process.stdout.write(`sent ${sent}\n`);
  }
  clearInterval(announcer);
  socket.close();
}

void main();
