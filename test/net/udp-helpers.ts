/** Small real-socket helpers for the network tests. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
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
