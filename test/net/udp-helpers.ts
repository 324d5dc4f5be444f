/** Small real-socket helpers for the network tests. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { firstValueFrom, type Observable, take, toArray, timeout } from 'rxjs';

/** A UDP port nobody holds on `address` right now (the kernel's choice). */
export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Binds a plain UDP socket; rejects with the bind error. */
export function bindUdp(port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** The next datagram `socket` receives. */
export function nextMessage(socket: Socket): Promise<{ bytes: Buffer; from: RemoteInfo }> {
  return new Promise((resolve) => socket.once('message', (bytes, from) => resolve({ bytes, from })));
}

export function sendUdp(socket: Socket, bytes: Uint8Array, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(bytes, port, address, (error) => (error ? reject(error) : resolve())),
  );
}

/** The first `count` values of `source`, or a rejection after `ms` (generous: a loaded machine is slow). */
export function takeWithin<T>(source: Observable<T>, count: number, ms = 5000): Promise<T[]> {
  return firstValueFrom(source.pipe(take(count), toArray(), timeout(ms)));
}

/**
 * How many sockets of this process are bound to `port` (UDP or TCP, IPv4 or
 * IPv6), from /proc: the kernel's own count, where "binding again works"
 * would only show that no socket bound with exclusive rights is left.
 */
export function socketsOfThisProcessOn(protocol: 'udp' | 'tcp', port: number): number {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of [protocol, `${protocol}6`]) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const row of text.split('\n').slice(1)) {
      const columns = row.trim().split(/\s+/);
      if (columns[1]?.endsWith(`:${portHex}`)) inodes.add(columns[9] ?? '');
    }
  }
  let ours = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && inodes.has(inode)) ours += 1;
  }
  return ours;
}
