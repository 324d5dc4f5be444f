/**
 * The raw station running as its own process on a lab host
 * (raw-station-main.ts under `lab.spawn`), driven through the same
 * RawStationControl interface as the in-process RawStation.
 */
import type { Lab } from './lab.js';
import type { LineProcess } from './line-process.js';
import type { RawStationCommand } from './raw-station-main.js';
import type {
  HostIdOptions,
  MidiOptions,
  RawStationControl,
  RawStationOptions,
  ReceivedPacket,
} from './raw-station.js';

export interface LabRawStationOptions {
  /** Host name in its HostID packets. */
  name: string;
  /** Default 4950, the LAN port of the original and msinet. */
  port?: number;
  /** `address:port` Midi packets go to by default. */
  peer?: string;
  clockStart?: number;
  /** Also run it under this UTS host name (its HostID name is `name` either way). */
  hostname?: string;
}

const START_TIMEOUT_MS = 15_000;
const REPLY_TIMEOUT_MS = 5_000;

/**
 * Starts a raw station on `host`, bound to the host's address and its
 * broadcast address on `port`; HostIDs go to the broadcast address.
 */
export async function startRawStation(
  lab: Lab,
  host: string,
  options: LabRawStationOptions,
): Promise<RawStationProcess> {
  const stationOptions: RawStationOptions = {
    name: options.name,
    address: lab.address(host),
    port: options.port ?? 4950,
    broadcast: lab.broadcast(host),
    peer: options.peer,
    clockStart: options.clockStart,
  };
  const proc = lab.spawnTypeScript(
    host,
    'test/harness/raw-station-main.ts',
    [JSON.stringify(stationOptions)],
    {
      hostname: options.hostname,
      label: `raw station ${options.name}@${host}`,
    },
  );
  try {
    const ready = await proc.waitForLine(/^\{"ready":/, START_TIMEOUT_MS);
    const { endpoint } = (JSON.parse(ready.line) as { ready: { endpoint: string } }).ready;
    return new RawStationProcess(proc, endpoint);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class RawStationProcess implements RawStationControl {
  private nextId = 1;

  constructor(
    readonly process: LineProcess,
    readonly endpoint: string,
  ) {}

  async hostId(options: HostIdOptions = {}): Promise<void> {
    const { extra, ...rest } = options;
    await this.call({
      op: 'hostId',
      ...rest,
      ...(extra ? { extraHex: Buffer.from(extra).toString('hex') } : {}),
    });
  }

  async bye(to?: string): Promise<void> {
    await this.call({ op: 'bye', to });
  }

  async midi(options: MidiOptions): Promise<{ serial: number; date: number }> {
    const { events, ...rest } = options;
    return (await this.call({ op: 'midi', ...rest, eventsHex: Buffer.from(events).toString('hex') })) as {
      serial: number;
      date: number;
    };
  }

  async raw(bytes: Uint8Array, to?: string): Promise<void> {
    await this.call({ op: 'raw', hex: Buffer.from(bytes).toString('hex'), to });
  }

  async announce(everyMs?: number, to?: string): Promise<void> {
    await this.call({ op: 'announce', everyMs, to });
  }

  async silence(): Promise<void> {
    await this.call({ op: 'silence' });
  }

  async restart(clockStart?: number): Promise<void> {
    await this.call({ op: 'restart', clockStart });
  }

  async clock(): Promise<number> {
    return (await this.call({ op: 'clock' })) as number;
  }

  received(): ReceivedPacket[] {
    return this.process.stdoutLines.flatMap((line) =>
      line.startsWith('{"rx":') ? [(JSON.parse(line) as { rx: ReceivedPacket }).rx] : [],
    );
  }

  waitForPacket(accept: (p: ReceivedPacket) => boolean, timeoutMs: number): Promise<ReceivedPacket> {
    return this.process.waitUntil(() => this.received().find(accept), timeoutMs, 'a matching packet');
  }

  /** Asks it to quit; killed if it has not within a second. */
  async close(): Promise<void> {
    if (this.process.running) this.process.writeLine(JSON.stringify({ id: 0, op: 'quit' }));
    const timer = setTimeout(() => void this.process.kill('SIGKILL'), 1_000);
    await this.process.exited;
    clearTimeout(timer);
  }

  private async call(command: RawStationCommand): Promise<unknown> {
    const id = this.nextId++;
    const from = this.process.stdoutLines.length;
    this.process.writeLine(JSON.stringify({ id, ...command }));
    const { line } = await this.process.waitForLine(new RegExp(`^\\{"id":${id},`), REPLY_TIMEOUT_MS, {
      from,
    });
    const reply = JSON.parse(line) as Reply;
    if (!reply.ok) throw new Error(`raw station ${command.op}: ${reply.error ?? 'failed'}`);
    return reply.result;
  }
}
