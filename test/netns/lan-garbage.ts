/**
 * Sends hostile datagrams at a LAN station: `lan-garbage.ts <address> <port> <count> <durationMs> [seed]`.
 * Every one is something a version-1 decoder must refuse — random bytes that
 * cannot start with the magic, and msinet-like headers that lie (bad version,
 * unknown type, truncated HostID, unterminated name, Midi counts and offsets
 * that do not match the bytes, Bye/Echo of the wrong size, WAN-only packets),
 * so a station that counts what it drops must count each of them. The sending
 * is spread evenly over `durationMs`, so the kernel's receive buffer, not the
 * station, is never what drops them. Prints `sent <n> <counts by kind as JSON>`.
 */
import { createSocket } from 'node:dgram';

const [address, portText, countText, durationText, seedText] = process.argv.slice(2);
if (
  address === undefined ||
  portText === undefined ||
  countText === undefined ||
  durationText === undefined
) {
  process.stderr.write('usage: lan-garbage.ts <address> <port> <count> <durationMs> [seed]\n');
  process.exit(2);
}
const port = Number(portText);
const count = Number(countText);
const durationMs = Number(durationText);

// xorshift32: the same seed sends the same datagrams, so a failure can be replayed.
let state = Number(seedText ?? 1) >>> 0 || 1;
function random(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x1_0000_0000;
}
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const bytes = (n: number, min = 0, max = 255) => Buffer.from(Array.from({ length: n }, () => int(min, max)));

function header(type: number, version = 1): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(0x1001, 0);
  b.writeUInt8(version, 2);
  b.writeUInt8(type, 3);
  return b;
}

function midi(count: number, offset: number, body: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(int(1, 1000), 0);
  h.writeUInt32BE(int(1, 0xffffffff), 4);
  h.writeInt16BE(count, 8);
  h.writeInt16BE(offset, 10);
  return Buffer.concat([header(5), h, bytes(body)]);
}

const kinds: Record<string, () => Buffer> = {
  random: () => Buffer.concat([bytes(1, 0, 0x0f), bytes(int(0, 200))]), // first byte never 0x10
  short: () => bytes(int(0, 3)),
  badVersion: () => Buffer.concat([header(int(0, 255), random() < 0.5 ? 0 : int(2, 255)), bytes(int(0, 40))]),
  unknownType: () => Buffer.concat([header(random() < 0.1 ? 0 : int(8, 255)), bytes(int(0, 40))]),
  truncatedHostId: () => Buffer.concat([header(1), bytes(int(0, 3))]),
  unterminatedName: () => Buffer.concat([header(1), bytes(4), bytes(int(1, 40), 1, 255)]),
  byeWithBody: () => Buffer.concat([header(2), bytes(int(1, 20))]),
  echoWrongSize: () => Buffer.concat([header(3), bytes(random() < 0.5 ? int(0, 7) : int(9, 40))]),
  truncatedMidi: () => Buffer.concat([header(5), bytes(int(0, 11))]),
  countTooBig: () => {
    const body = int(0, 100);
    return midi(body + int(1, 1000), 0, body);
  },
  countTooSmall: () => {
    const body = int(1, 100);
    return midi(int(0, body - 1), 0, body);
  },
  negativeCount: () => midi(-int(1, 0x8000), 0, int(0, 20)),
  offsetPastCount: () => {
    const body = int(0, 60);
    return midi(body, body + int(1, 100), body);
  },
  tcpByeOnLan: () => Buffer.concat([header(6), bytes(12)]),
  tcpCnxRefusedOnLan: () => Buffer.concat([header(7), Buffer.from([0, int(1, 3)])]),
};
const names = Object.keys(kinds);

const socket = createSocket('udp4');
const sentByKind: Record<string, number> = {};
let sent = 0;
let acknowledged = 0;
const start = performance.now();

function done(): void {
  socket.close();
  process.stdout.write(`sent ${sent} ${JSON.stringify(sentByKind)}\n`);
}

function pump(): void {
  const due = Math.min(count, Math.ceil((count * (performance.now() - start)) / durationMs));
  for (; sent < due; sent++) {
    const kind = names[sent % names.length] as string;
    sentByKind[kind] = (sentByKind[kind] ?? 0) + 1;
    socket.send((kinds[kind] as () => Buffer)(), port, address, (error) => {
      if (error) process.stderr.write(`send failed: ${error.message}\n`);
      if (++acknowledged === count) done();
    });
  }
  if (sent < count) setTimeout(pump, 1);
}

socket.bind(0, pump);
