/**
 * Two ORIGINAL msInetDriver stations (the msPeer build of
 * ../shared/original-peer), driven by their test client's stdin commands.
 * The benchmark stamps a send when it writes the `on`/`off` line; a delivery
 * is the receiver's `RECV now=T` (its client printed the event at T on its
 * own clock), carried to the benchmark's clock by calibrating that clock with
 * `time` commands. The event's MidiShare date (when the kernel delivered it;
 * the client polls every 2 ms) is kept too.
 */
import type { Lab } from '../test/harness/lab.js';
import { parseRecvLine, startOriginal, type OriginalPeer } from '../test/harness/original-peer.js';
import { PROBE_BASE, idOfOriginalEvent, idRange, originalCommandOfId } from './lan-events.js';
import {
  benchTimeOfDate,
  benchTimeOfReading,
  clockOrigin,
  type ClockOrigin,
  type ClockSample,
} from './lan-original-clock.js';
import {
  benchClock,
  onLines,
  problemLines,
  sleep,
  until,
  type Pair,
  type PairStamps,
  type SideArgs,
} from './lan-pair.js';

const REMOTE_TIMEOUT_MS = 15_000;
const CALIBRATION_SAMPLES = 40;

export interface OriginalPair extends Pair {
  /** Re-reads the receiver's clock against the benchmark's; call before a measurement. */
  calibrate(): Promise<ClockOrigin>;
}

export interface OriginalPairOptions {
  binary: string;
  driverArgs: readonly string[];
  /** Host names the stations run under. */
  names: { sender: string; receiver: string };
  sideArgs?: SideArgs;
  /**
   * The names under which each station lists the other, when not their host
   * names: in WAN mode the original names a remote by its address.
   */
  seenAs?: { sender: string; receiver: string };
}

export async function startOriginalPair(
  lab: Lab,
  hosts: [string, string],
  options: OriginalPairOptions,
): Promise<OriginalPair> {
  const [senderHost, receiverHost] = hosts;
  const start = (host: string, name: string, side: keyof SideArgs): Promise<OriginalPeer> =>
    startOriginal(lab, host, name, [...options.driverArgs, ...(options.sideArgs?.[side] ?? [])], {
      binary: options.binary,
    });
  // The receiver first: a WAN client dials it once, at start.
  const receiver = await start(receiverHost, options.names.receiver, 'receiver');
  const sender = await start(senderHost, options.names.sender, 'sender');
  const seenAs = options.seenAs ?? options.names;
  await Promise.all([
    sender.waitForRemote(seenAs.receiver, REMOTE_TIMEOUT_MS),
    receiver.waitForRemote(seenAs.sender, REMOTE_TIMEOUT_MS),
  ]);

  let origin: ClockOrigin | undefined;
  let sent = new Map<number, number>();
  /** Receiver clock readings and dates, converted once the clock is known. */
  let printed = new Map<number, { now: number; date: number }>();
  let probes = 0;
  onLines(receiver.process, (line) => {
    const event = line.startsWith('RECV ') ? parseRecvLine(line) : undefined;
    const id = event === undefined ? undefined : idOfOriginalEvent(event);
    if (event === undefined || id === undefined) return;
    if (id >= PROBE_BASE) probes += 1;
    else if (sent.has(id) && !printed.has(id)) printed.set(id, { now: event.now, date: event.date });
  });

  const calibrate = async (): Promise<ClockOrigin> => {
    const samples: ClockSample[] = [];
    for (let i = 0; i < CALIBRATION_SAMPLES; i++) {
      const writtenAt = benchClock();
      const clock = await receiver.time();
      samples.push({ writtenAt, readAt: benchClock(), clock });
      await sleep(Math.random() * 3); // spread the samples over the phase of its millisecond ticks
    }
    origin = clockOrigin(samples);
    return origin;
  };

  return {
    label: 'original msInetDriver v1.13',
    calibrate,
    send(id) {
      sender.command(originalCommandOfId(id));
      if (id < PROBE_BASE) sent.set(id, benchClock());
    },
    burst(first, count) {
      const ids = idRange(first, count);
      const at = benchClock();
      sender.process.child.stdin?.write(`${ids.map(originalCommandOfId).join('\n')}\n`);
      for (const id of ids) sent.set(id, at);
    },
    probeArrived: (timeoutMs) => until(() => probes > 0, timeoutMs),
    async collect(count, timeoutMs) {
      await until(() => printed.size >= count, timeoutMs, 20);
      const known = origin ?? (await calibrate());
      const delivered = new Map<number, number>();
      const kernelDelivered = new Map<number, number>();
      for (const [id, { now, date }] of printed) {
        delivered.set(id, benchTimeOfReading(known, now));
        kernelDelivered.set(id, benchTimeOfDate(known, date));
      }
      const stamps: PairStamps = { sent, delivered, kernelDelivered };
      sent = new Map();
      printed = new Map();
      return stamps;
    },
    driverPids: () => ({ sender: sender.process.pid, receiver: receiver.process.pid }),
    problems: () => problemLines([sender.process, receiver.process]),
  };
}
