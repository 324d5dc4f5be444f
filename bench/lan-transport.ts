/**
 * What a benchmark station sends and receives through: msinet's library API
 * (a whole `msinetDriver` in the station's process) or bare Node UDP (the floor).
 * The station (lan-station.ts) stamps; a transport only moves events.
 */
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { filter, firstValueFrom, map } from 'rxjs';
import { parseDriverArgs } from '../src/cli.js';
import { msinetDriver } from '../src/driver.js';
import { createDriverLogger } from '../src/sinks/logger.js';
import { readInterfaces } from '../src/sources/interfaces.js';
import { DEFAULT_RECV_BUFFER_SIZE } from '../src/sources/lan-udp.js';
import { preciseScheduler } from '../src/sources/precise-scheduler.js';
import { LAN_MAX_EVENT_BYTES } from '../src/wire/packet.js';
import { eventOfId, fieldsOfId, idOfFields } from './lan-events.js';

export interface Transport {
  /** Settles when events can go (a sender knows its peer) or come (a receiver listens). */
  readonly ready: Promise<void>;
  /** Sends these events now, in order; calls `stamp(id)` just before each leaves the caller's hands. */
  send(ids: readonly number[], stamp: (id: number) => void): void;
  /** Called with the id of each benchmark event that arrives. */
  onEvent(handler: (id: number) => void): void;
  /**
   * A driver's clock now, and its clock reference of the one remote it knows
   * (SPEC §4: local = remote + offset), so the benchmark can compare the
   * reference with the true difference of the two clocks. None for the floor.
   */
  clock?(): { now: number; offset?: number };
  close(): void;
}

export type Role = 'send' | 'receive';

/**
 * A msinet LAN driver built as src/run.ts builds it (precise scheduler, the
 * host's interfaces, `driverArgs` as on the command line), with one local
 * client: a sender connects it to the remote named `peer` once that remote
 * appears; a receiver follows every remote.
 */
export function libraryTransport(role: Role, peer: string, driverArgs: readonly string[]): Transport {
  const parsed = parseDriverArgs(driverArgs);
  if (parsed.kind !== 'run') throw new Error(`driver arguments: ${JSON.stringify(parsed)}`);
  const { config } = parsed;
  const logger = createDriverLogger({ level: config.logLevel });
  const interfaces = readInterfaces(config.interface);
  const driver = msinetDriver(config, {
    scheduler: preciseScheduler,
    logger,
    hostName: hostname(),
    interfaces: interfaces.ok ? interfaces.value : [],
  });
  const running = driver.run$.subscribe({
    error: (error: unknown) => {
      process.stderr.write(`library station: the driver stopped: ${String(error)}\n`);
      process.exit(1);
    },
  });
  const opened = driver.hub.openLocal(
    role === 'send' ? 'bench-send' : 'bench-receive',
    role === 'receive' ? { follow: { kind: 'remotes' } } : {},
  );
  if (!opened.ok) throw new Error(`openLocal: ${opened.reason}`);
  const client = opened.value;

  const ready =
    role === 'receive'
      ? Promise.resolve()
      : firstValueFrom(
          driver.hub.clients$.pipe(
            map((clients) => clients.find((c) => c.kind === 'remote' && c.name === peer)),
            filter((remote) => remote !== undefined),
          ),
        ).then((remote) => {
          const connected = driver.hub.connect(client.ref, remote.ref);
          if (!connected.ok) throw new Error(`connect: ${connected.reason}`);
        });

  return {
    ready,
    send(ids, stamp) {
      for (const id of ids) {
        stamp(id);
        const sent = client.send(eventOfId(id));
        if (!sent.ok) process.stderr.write(`library station: send ${id}: ${sent.reason}\n`);
      }
    },
    onEvent(handler) {
      client.events$.subscribe(({ event }) => {
        const id = idOfFields(event as Parameters<typeof idOfFields>[0]);
        if (id !== undefined) handler(id);
      });
    },
    clock() {
      const remote = driver.hub.snapshot().clients.find((c) => c.kind === 'remote');
      const offset = remote === undefined ? undefined : driver.statsOf(remote.ref)?.offset;
      return { now: preciseScheduler.now(), ...(offset !== undefined ? { offset } : {}) };
    },
    close() {
      client.close();
      running.unsubscribe();
    },
  };
}

/** One event on the floor's wire: the 9 bytes msinet puts on the wire for a key event (SPEC §5.4). */
const RECORD_BYTES = 9;
/** The 16 bytes of a Midi packet's headers, so floor datagrams are the size msinet's are. */
const HEADER_BYTES = 16;
const RECORDS_PER_DATAGRAM = Math.floor(LAN_MAX_EVENT_BYTES / RECORD_BYTES);

function writeRecord(buffer: Buffer, at: number, id: number): void {
  const { type, pitch, vel, chan } = fieldsOfId(id);
  buffer.writeUInt16BE(7, at);
  buffer.writeUInt8(type === 'keyOn' ? 1 : 2, at + 2);
  buffer.writeInt16BE(0, at + 3);
  buffer.writeUInt8(0, at + 5);
  buffer.writeUInt8(chan, at + 6);
  buffer.writeUInt8(pitch, at + 7);
  buffer.writeUInt8(vel, at + 8);
}

function readRecord(buffer: Buffer, at: number): number | undefined {
  const type = buffer.readUInt8(at + 2) === 1 ? 'keyOn' : 'keyOff';
  return idOfFields({ type, chan: buffer[at + 6], pitch: buffer[at + 7], vel: buffer[at + 8] });
}

/**
 * Bare Node UDP between the two hosts, with msinet's receive buffer size and
 * datagram sizes: events packed as msinet packs them (up to 1468 bytes of
 * 9-byte key events after a 16-byte header), nothing else. `peer` is the
 * receiver's `address:port`; a receiver binds the port of `peer`.
 */
export function udpTransport(role: Role, peer: string): Transport {
  const colon = peer.lastIndexOf(':');
  const address = peer.slice(0, colon);
  const port = Number(peer.slice(colon + 1));
  const socket = createSocket({ type: 'udp4', recvBufferSize: DEFAULT_RECV_BUFFER_SIZE });
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(role === 'receive' ? port : 0, () => resolve());
  });
  return {
    ready,
    send(ids, stamp) {
      for (let first = 0; first < ids.length; first += RECORDS_PER_DATAGRAM) {
        const chunk = ids.slice(first, first + RECORDS_PER_DATAGRAM);
        const datagram = Buffer.alloc(HEADER_BYTES + chunk.length * RECORD_BYTES);
        chunk.forEach((id, i) => writeRecord(datagram, HEADER_BYTES + i * RECORD_BYTES, id));
        for (const id of chunk) stamp(id);
        socket.send(datagram, port, address);
      }
    },
    onEvent(handler) {
      socket.on('message', (datagram) => {
        for (let at = HEADER_BYTES; at + RECORD_BYTES <= datagram.length; at += RECORD_BYTES) {
          const id = readRecord(datagram, at);
          if (id !== undefined) handler(id);
        }
      });
    },
    close() {
      socket.close();
    },
  };
}
