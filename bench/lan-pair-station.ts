/**
 * Two bench/lan-station.ts processes, one per host: msinet's library API (a
 * `msinetDriver` in each) or bare Node UDP. The stations stamp sends and
 * deliveries themselves, on the benchmark's clock, so neither stdin nor
 * stdout of the benchmark is in the measured path.
 */
import type { Lab } from '../test/harness/lab.js';
import type { LineProcess } from '../test/harness/line-process.js';
import { PROBE_BASE } from './lan-events.js';
import {
  benchEpoch,
  onLines,
  problemLines,
  until,
  type Pair,
  type PairStamps,
  type SideArgs,
} from './lan-pair.js';

const START_TIMEOUT_MS = 20_000;
/** Where the floor's receiver listens: not msinet's port, in case a driver is still leaving. */
const FLOOR_PORT = 4960;

export type StationKind = 'library' | 'udp';

export interface StationPairOptions {
  kind: StationKind;
  /** Library: driver flags, e.g. ['-g', '10', '-lat', '10']. */
  driverArgs?: readonly string[];
  /** Library: host names the stations announce. */
  names: { sender: string; receiver: string };
  /** Library: flags for one side only, after `driverArgs` (WAN: `-s`, `-s ADDRESS`). */
  sideArgs?: SideArgs;
  /** Added to the stations' environment (e.g. NODE_OPTIONS for a profile). */
  env?: Record<string, string>;
}

export interface StationPair extends Pair {
  /** Ends both stations the gentle way (stdin closed), so they leave as a user's program would. */
  close(): Promise<void>;
}

interface Report {
  sent: [number, number][];
  delivered: [number, number][];
  /** A driver's: when its clock read 0 on the benchmark's clock, and its reference of the remote's clock. */
  clock?: { origin: number; offset?: number };
}

/**
 * The receiver's offset of the sender's clock less the true one. Each clock
 * reads `t − origin` at benchmark time t, so the true offset (local = remote +
 * offset) is the sender's origin less the receiver's.
 */
export function referenceAboveTruth(sender: Report, receiver: Report): number | undefined {
  const [from, at] = [sender.clock, receiver.clock];
  if (from === undefined || at?.offset === undefined) return undefined;
  return at.offset - (from.origin - at.origin);
}

export async function startStationPair(
  lab: Lab,
  hosts: [string, string],
  options: StationPairOptions,
): Promise<StationPair> {
  const [senderHost, receiverHost] = hosts;
  const peer =
    options.kind === 'library' ? options.names.receiver : `${lab.address(receiverHost)}:${FLOOR_PORT}`;
  const start = (host: string, role: 'send' | 'receive', name: string): LineProcess =>
    lab.spawnTypeScript(
      host,
      'bench/lan-station.ts',
      [
        '--transport',
        options.kind,
        '--role',
        role,
        '--epoch',
        benchEpoch(),
        '--peer',
        peer,
        '--',
        ...(options.driverArgs ?? []),
        ...((role === 'send' ? options.sideArgs?.sender : options.sideArgs?.receiver) ?? []),
      ],
      {
        hostname: name,
        label: `${options.kind} station ${name}`,
        ...(options.env ? { env: options.env } : {}),
      },
    );
  const receiver = start(receiverHost, 'receive', options.names.receiver);
  const sender = start(senderHost, 'send', options.names.sender);

  let probes = 0;
  let reached = 0;
  const reports: Report[] = [];
  const collectReports = (proc: LineProcess) =>
    onLines(proc, (line) => {
      if (line.startsWith('probe ')) probes += 1;
      else if (line.startsWith('reached ')) reached += 1;
      else if (line.startsWith('report ')) reports.push(JSON.parse(line.slice('report '.length)) as Report);
    });
  collectReports(receiver);
  collectReports(sender);
  await Promise.all([
    receiver.waitForLine(/^ready$/, START_TIMEOUT_MS),
    sender.waitForLine(/^ready$/, START_TIMEOUT_MS),
  ]);

  const report = async (proc: LineProcess): Promise<Report> => {
    const before = reports.length;
    proc.writeLine('report');
    await until(() => reports.length > before, 10_000);
    const got = reports[before];
    if (!got) throw new Error(`${proc.label}: no report`);
    reports.splice(before, 1);
    return got;
  };

  return {
    label: options.kind === 'library' ? 'msinet library API' : 'bare Node UDP (floor)',
    send: (id) => sender.writeLine(`send ${id}`),
    burst: (first, count) => sender.writeLine(`burst ${first} ${count}`),
    probeArrived: (timeoutMs) => until(() => probes > 0, timeoutMs),
    async collect(count, timeoutMs) {
      const reachedBefore = reached;
      receiver.writeLine(`expect ${count}`);
      await until(() => reached > reachedBefore, timeoutMs, 20);
      // One report at a time: they come back on different processes but into one list.
      const sent = await report(sender);
      const delivered = await report(receiver);
      const above = referenceAboveTruth(sent, delivered);
      const stamps: PairStamps = {
        sent: new Map(sent.sent.filter(([id]) => id < PROBE_BASE)),
        delivered: firstOfEach(delivered.delivered),
        ...(above !== undefined ? { referenceAboveTruth: above } : {}),
      };
      return stamps;
    },
    driverPids: () =>
      options.kind === 'library'
        ? { sender: sender.pid, receiver: receiver.pid }
        : { sender: undefined, receiver: undefined },
    problems: () => problemLines([sender, receiver]),
    async close() {
      sender.closeStdin();
      receiver.closeStdin();
      await Promise.all([sender.exited, receiver.exited]);
    },
  };
}

/** id → time of its first arrival (a duplicate is not a delivery). */
function firstOfEach(stamps: readonly [number, number][]): Map<number, number> {
  const first = new Map<number, number>();
  for (const [id, at] of stamps) if (!first.has(id)) first.set(id, at);
  return first;
}
