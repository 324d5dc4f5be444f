/**
 * A flood of hostile LAN traffic at one station, for memory tests:
 * `hostile-flood.ts <address> <port> <durationMs> <perSecond> [seed]`.
 *
 * Unlike lan-garbage.ts (datagrams every decoder refuses), most of this is
 * what a driver must take in and keep state for, from 300 "stations" (one
 * UDP socket, so one address:port, each): HostIDs with changing names and
 * clocks that start again (new remotes, restarts, more stations than a driver
 * admits); Midi packets of valid events, serials that skip, repeat and go
 * back, events cut
 * across packets and continuations whose head never came; fine-dated
 * packets; Byes; Echos; and garbage. Written with plain Buffer writes
 * (test/harness/raw-station.ts), nothing from msinet's codec. The same seed
 * sends the same datagrams. Prints `sent <n> <counts by kind as JSON>`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { byePacket, eventBytes, hostIdPacket, midiPacket, packetHeader } from '../harness/raw-station.js';

const [address, portText, durationText, rateText, seedText] = process.argv.slice(2);
if (address === undefined || portText === undefined || durationText === undefined || rateText === undefined) {
  process.stderr.write('usage: hostile-flood.ts <address> <port> <durationMs> <perSecond> [seed]\n');
  process.exit(2);
}
const port = Number(portText);
const durationMs = Number(durationText);
const perSecond = Number(rateText);
const STATIONS = 300;
/** Stations 0..STEADY-1 announce often and keep their clocks: drivers open them and take their events. */
const STEADY = 40;

// xorshift32: the same seed sends the same datagrams.
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
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;

interface Station {
  socket: Socket;
  name: string;
  clockOrigin: number;
  serial: number;
}
const start = performance.now();
const stations: Station[] = [];

const clockOf = (s: Station) => (Math.floor(performance.now() - start) + s.clockOrigin) >>> 0;
const someStation = (): Station =>
  (random() < 0.6 ? stations[int(0, STEADY - 1)] : pick(stations)) as Station;

/**
 * A valid event, its relative date within the last grouping period, as a
 * station sends them. Not anywhere an i16 allows, as a hostile station may:
 * today that makes the driver hold without bound (test/netns/held-events.test.ts,
 * todo: dates ahead of the sender's clock, packets that each span a wide range
 * of relative dates, and a Bye after either stalls every open and close).
 * Once those are fixed, let WIDE be 0.05.
 */
const WIDE = 0;
function event(): Buffer {
  const date = random() < WIDE ? int(-32768, 32767) : int(-10, 0);
  const place = { date, port: int(0, 255), chan: int(0, 15) };
  switch (int(0, 4)) {
    case 0:
      return eventBytes(1, [int(0, 127), int(1, 127)], place); // keyOn: a stuck note unless its keyOff comes
    case 1:
      return eventBytes(2, [int(0, 127), 0], place);
    case 2:
      return eventBytes(0, [int(0, 127), int(0, 127), 0, int(0, 255)], place); // note
    case 3:
      return eventBytes(17, [...bytes(int(0, 300), 0, 127)], place); // sysEx
    default:
      return eventBytes(4, [int(0, 127), int(0, 127)], place); // ctrlChange
  }
}

const events = (maxBytes: number): Buffer => {
  const parts: Buffer[] = [];
  let size = 0;
  for (let n = int(1, 12); n > 0 && size < maxBytes; n--) {
    const e = event();
    parts.push(e);
    size += e.length;
  }
  return Buffer.concat(parts).subarray(0, maxBytes);
};

function nextSerial(s: Station): number {
  const roll = random();
  if (roll < 0.8) s.serial += 1;
  else if (roll < 0.9)
    s.serial += int(2, 5000); // a gap
  else if (roll < 0.95)
    s.serial = Math.max(1, s.serial - int(0, 3)); // a duplicate or an old one
  else s.serial = int(1, 0xffffffff); // anywhere
  return s.serial >>> 0;
}

const kinds: Record<string, (s: Station) => Buffer> = {
  hostId: (s) => {
    // A restart: the clock back to near 0, as a station that starts again. Not a jump ahead:
    // today a station's packets dated ahead of its clock reference are held that far ahead,
    // without bound (test/netns/held-events.test.ts, todo); once fixed, let clockOrigin be anything.
    if (stations.indexOf(s) >= STEADY && random() < 0.02) {
      s.clockOrigin = int(1, 1000) - Math.floor(performance.now() - start);
    }
    if (stations.indexOf(s) >= STEADY && random() < 0.1)
      s.name = bytes(int(1, 80), 0x21, 0x7e).toString('latin1');
    const extra =
      random() < 0.5 ? Buffer.from([0x6d, 0x73, 0x69, 0x01, 1, 1, int(0, 255)]) : bytes(int(0, 20));
    return hostIdPacket(clockOf(s), s.name, extra);
  },
  midi: (s) => midiPacket({ serial: nextSerial(s), date: clockOf(s) || 1, events: events(1468) }),
  /** A group cut inside an event, and its continuation, each sent alone or the head lost. */
  cutMidi: (s) => {
    const whole = events(3000);
    const cut = int(1, Math.max(1, whole.length - 1));
    return random() < 0.5
      ? midiPacket({ serial: nextSerial(s), date: clockOf(s) || 1, events: whole.subarray(0, cut) })
      : midiPacket({
          serial: nextSerial(s),
          date: 0,
          events: whole.subarray(cut),
          offset: int(0, whole.length - cut),
        });
  },
  fineMidi: (s) => {
    const body = events(1283);
    const packet = midiPacket({ serial: nextSerial(s), date: clockOf(s) || 1, events: body });
    packet[3] = 8;
    return Buffer.concat([packet, bytes(int(1, 1 + Math.ceil(body.length / 7)))]);
  },
  bye: () => byePacket(),
  echo: () => Buffer.concat([packetHeader(3), bytes(8)]),
  garbage: () =>
    random() < 0.5 ? bytes(int(0, 1500)) : Buffer.concat([packetHeader(int(0, 12)), bytes(int(0, 200))]),
};
const weights: [string, number][] = [
  ['hostId', 25],
  ['midi', 40],
  ['cutMidi', 10],
  ['fineMidi', 8],
  ['bye', 2],
  ['echo', 5],
  ['garbage', 10],
];
const total = weights.reduce((sum, [, w]) => sum + w, 0);
function kind(): string {
  let roll = random() * total;
  for (const [name, w] of weights) {
    roll -= w;
    if (roll < 0) return name;
  }
  return 'garbage';
}

function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined); // an unreachable port now and then is not the flood's business
  return new Promise((resolve) => socket.bind(0, () => resolve(socket)));
}

async function main(): Promise<void> {
  for (let i = 0; i < STATIONS; i++) {
    stations.push({ socket: await bound(), name: `flood${i}`, clockOrigin: int(1, 1_000_000), serial: 0 });
  }
  const count = Math.round((perSecond * durationMs) / 1000);
  const sentByKind: Record<string, number> = {};
  let sent = 0;
  const begin = performance.now();
  await new Promise<void>((done) => {
    const pump = () => {
      const due = Math.min(count, Math.ceil((perSecond * (performance.now() - begin)) / 1000));
      for (; sent < due; sent++) {
        const name = kind();
        const from = someStation();
        sentByKind[name] = (sentByKind[name] ?? 0) + 1;
        from.socket.send((kinds[name] as (s: Station) => Buffer)(from), port, address);
      }
      if (sent < count) setTimeout(pump, 2);
      else done();
    };
    pump();
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const s of stations) s.socket.close();
  process.stdout.write(`sent ${sent} ${JSON.stringify(sentByKind)}\n`);
}

void main();
