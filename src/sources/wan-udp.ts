/**
 * The WAN datagram socket (SPEC §7): one UDP socket on the driver's port, on
 * every interface (or the `--bind` address), as a resource that follows its
 * subscription: subscribing binds it and emits the endpoint; unsubscribing
 * closes it once what was just sent has left. No broadcast: a WAN station
 * sends to its linked peers only.
 */
import { createSocket } from 'node:dgram';
import { Observable, Subject, type SchedulerLike } from 'rxjs';
import type { PeerAddress } from '../model/station.js';
import type { ProblemCounter } from '../sinks/rate-limited-log.js';
import { bindError } from './bind-error.js';
import { DEFAULT_RECV_BUFFER_SIZE } from './lan-udp.js';

/** One datagram as it arrived, stamped `scheduler.now()`. */
export interface WanDatagram {
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
  readonly at: number;
}

export interface WanUdpEndpoint {
  readonly port: number;
  /** Hot: every datagram from now on; completes when the endpoint closes. */
  readonly datagrams$: Observable<WanDatagram>;
  /** Never throws: a failure is counted. */
  send(bytes: Uint8Array, to: PeerAddress): void;
}

export interface WanUdpOptions {
  port: number;
  /** The address to bind; default every interface. */
  address?: string;
  scheduler: SchedulerLike;
  problems: ProblemCounter;
}

export function wanUdp(options: WanUdpOptions): Observable<WanUdpEndpoint> {
  const { port, scheduler, problems } = options;
  const address = options.address ?? '0.0.0.0';
  return new Observable<WanUdpEndpoint>((subscriber) => {
    const socket = createSocket({ type: 'udp4', recvBufferSize: DEFAULT_RECV_BUFFER_SIZE });
    const datagrams = new Subject<WanDatagram>();
    let inFlight = 0;
    let closed = false;
    let bound = false;
    const closeWhenSent = () => {
      if (closed && inFlight === 0 && bound) socket.close();
    };
    socket.on('message', (bytes, rinfo) =>
      datagrams.next({ bytes, from: { address: rinfo.address, port: rinfo.port }, at: scheduler.now() }),
    );
    socket.on('error', (error) => {
      if (bound) return problems('udp socket error', error.message);
      socket.close();
      subscriber.error(bindError('UDP', port, address, error));
    });
    socket.bind({ port, address, exclusive: true }, () => {
      bound = true;
      if (closed) return closeWhenSent();
      subscriber.next({
        port,
        datagrams$: datagrams.asObservable(),
        send: (bytes, to) => {
          if (closed) return;
          inFlight += 1;
          socket.send(bytes, to.port, to.address, (error) => {
            inFlight -= 1;
            if (error) problems('udp send failed', `to ${to.address}:${to.port}: ${error.message}`);
            closeWhenSent();
          });
        },
      });
    });
    return () => {
      closed = true;
      datagrams.complete();
      closeWhenSent();
    };
  });
}
