/**
 * A raw WAN peer for tests, run on a lab host: `wan-raw-peer.ts <udpPort>`.
 * It holds TCP connections and one UDP socket and does exactly what it is
 * told, one JSON command per stdin line, so a test can be a version-1 peer
 * (TCP, then HostIDs by UDP from its port, no link hello), a peer that says
 * nothing, one that never reads, or one that sends garbage. It reports on
 * stdout, one JSON object per line:
 *
 * - `{"ready":{"udpPort":P}}` once its UDP socket is bound;
 * - `{"id":I,"connected":{"localPort":L}}`, `{"id":I,"data":"<hex>","at":T}`,
 *   `{"id":I,"end":T}` (the peer's FIN), `{"id":I,"closed":T,"error":"…"}`;
 *   `{"id":I,"failed":"…"}` when the connection cannot be made;
 * - `{"udp":"<hex>","from":"a:p","at":T}` for each datagram, unless `quietUdp`;
 * - `{"sent":N}` when a `garbageUdp` run ends.
 *
 * Commands: `{"connect":I,"address":A,"port":P,"read":bool}` (read false: the
 * socket is paused at once and never read), `{"write":I,"hex":H}`,
 * `{"end":I}` (FIN after what was written), `{"hostIds":"a:p","name":N,"periodMs":M}`
 * (version-1 HostIDs, clock = ms since start, until `{"stopHostIds":true}`),
 * `{"udp":"a:p","hex":H}`, `{"quietUdp":true}`. T is `performance.now()` of this process.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { hostIdPacket } from '../harness/raw-station.js';

const udpPort = Number(process.argv[2] ?? 0);
const sockets = new Map<string, Socket>();
const udp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let quietUdp = false;
let hostIdTimer: NodeJS.Timeout | undefined;
const start = performance.now();

const say = (value: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(value)}\n`);
const endpoint = (text: string) => {
  const [address, port] = text.split(':');
  return { address: address ?? '', port: Number(port) };
};

udp.on('message', (bytes, from) => {
  if (!quietUdp)
    say({ udp: bytes.toString('hex'), from: `${from.address}:${from.port}`, at: performance.now() });
});

function open(id: string, address: string, port: number, read: boolean): void {
  const socket = connect({ host: address, port });
  sockets.set(id, socket);
  socket.once('connect', () => {
    socket.setNoDelay(true);
    if (!read) socket.pause();
    say({ id, connected: { localPort: socket.localPort }, at: performance.now() });
  });
  socket.on('data', (data) => say({ id, data: data.toString('hex'), at: performance.now() }));
  socket.on('end', () => say({ id, end: performance.now() }));
  let error = '';
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error = err.code ?? err.message;
    if (!socket.remotePort) say({ id, failed: error });
  });
  socket.on('close', () => say({ id, closed: performance.now(), error }));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as Record<string, unknown>;
  if (typeof command['connect'] === 'string') {
    open(command['connect'], String(command['address']), Number(command['port']), command['read'] !== false);
  } else if (typeof command['write'] === 'string') {
    sockets.get(command['write'])?.write(Buffer.from(String(command['hex']), 'hex'));
  } else if (typeof command['end'] === 'string') {
    sockets.get(command['end'])?.end();
  } else if (typeof command['hostIds'] === 'string') {
    const to = endpoint(command['hostIds']);
    const name = String(command['name']);
    clearInterval(hostIdTimer);
    const send = () =>
      udp.send(hostIdPacket(Math.round(performance.now() - start), name), to.port, to.address);
    send();
    hostIdTimer = setInterval(send, Number(command['periodMs'] ?? 100));
  } else if (command['stopHostIds'] === true) {
    clearInterval(hostIdTimer);
  } else if (typeof command['udp'] === 'string') {
    const to = endpoint(command['udp']);
    udp.send(Buffer.from(String(command['hex']), 'hex'), to.port, to.address);
  } else if (command['quietUdp'] === true) {
    quietUdp = true;
  } else {
    say({ error: `unknown command ${line}` });
  }
});

udp.bind(udpPort, () => say({ ready: { udpPort: udp.address().port } }));
