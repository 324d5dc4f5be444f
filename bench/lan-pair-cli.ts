/**
 * msinet through its command line: `msInetDriver` on both hosts, `msinet send
 * --json` on a (one JSON event per stdin line) and `msinet dump --json` on b.
 * The benchmark stamps a send when it writes the line to `msinet send` and a
 * delivery when it reads the line `msinet dump` printed: the whole path a
 * script using the tools sees. The tools run as installed: `dist/bin/*.js`,
 * compiled by `npm run build` (`buildCli` does it first), not through tsx.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../test/harness/lab.js';
import type { LineProcess } from '../test/harness/line-process.js';
import { REPO_ROOT } from '../test/harness/paths.js';
import { PROBE_BASE, idOfFields, idRange, jsonLineOfId } from './lan-events.js';
import {
  benchClock,
  onLines,
  problemLines,
  until,
  type Pair,
  type PairStamps,
  type SideArgs,
} from './lan-pair.js';

const START_TIMEOUT_MS = 20_000;

/** Compiles src/ to dist/ and bundles the bins (`npm run build`), so the CLIs measured are the ones users run. */
export function buildCli(): void {
  const run = (args: readonly string[]) =>
    execFileSync(process.execPath, [...args], { cwd: REPO_ROOT, stdio: 'inherit' });
  run([join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  run([join(REPO_ROOT, 'scripts/bundle.mjs')]);
}

/** One of the installed CLIs on a lab host. */
function spawnCli(
  lab: Lab,
  host: string,
  bin: 'msInetDriver' | 'msinet',
  args: readonly string[],
  options: Parameters<Lab['spawn']>[3],
): LineProcess {
  return lab.spawn(host, process.execPath, [join(REPO_ROOT, 'dist/bin', `${bin}.js`), ...args], {
    cwd: REPO_ROOT,
    ...options,
  });
}

/**
 * The key event in a line of `msinet dump --json`, as the driver writes Event JSON
 * (src/model/event-json.ts: type, date, port, chan, then pitch and vel). Read with a
 * pattern, not JSON.parse: the benchmark stamps each delivery when it reads the line,
 * so its own reading is part of the path it measures and must cost little.
 */
const DUMPED_KEY_EVENT = /"event":\{"type":"(keyOn|keyOff)",.*"chan":(\d+),"pitch":(\d+),"vel":(\d+)\}\}$/;

export function idOfDumpLine(line: string): number | undefined {
  const match = DUMPED_KEY_EVENT.exec(line);
  if (match === null) return undefined;
  const [, type, chan, pitch, vel] = match;
  return idOfFields({ type: type as string, chan: Number(chan), pitch: Number(pitch), vel: Number(vel) });
}

export interface CliPairOptions {
  /** Driver flags, e.g. ['-g', '10', '-lat', '10']. */
  driverArgs: readonly string[];
  /** Host names the stations announce. */
  names: { sender: string; receiver: string };
  /** Flags for one side only, after `driverArgs` (WAN: `-s` for the receiver, `-s ADDRESS` for the sender). */
  sideArgs?: SideArgs;
}

export interface CliPair extends Pair {
  /** Starts the client tools (which wake the drivers); the drivers run, asleep, before. */
  startClients(): void;
  /** The local endpoint of the driver on `host`. */
  socketOf(host: string): string;
}

export async function startCliPair(
  lab: Lab,
  hosts: [string, string],
  options: CliPairOptions,
): Promise<CliPair> {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-bench-'));
  const socketOf = (host: string) => join(dir, `${host}.sock`);
  const [senderHost, receiverHost] = hosts;

  const startDriver = async (host: string, name: string, side: keyof SideArgs): Promise<LineProcess> => {
    const args = [...options.driverArgs, ...(options.sideArgs?.[side] ?? []), '--socket', socketOf(host)];
    const driver = spawnCli(lab, host, 'msInetDriver', args, {
      hostname: name,
      label: `msInetDriver ${name}`,
    });
    await driver.waitForLine(/local clients: /, START_TIMEOUT_MS, { stream: 'stderr' });
    return driver;
  };
  const [senderDriver, receiverDriver] = await Promise.all([
    startDriver(senderHost, options.names.sender, 'sender'),
    startDriver(receiverHost, options.names.receiver, 'receiver'),
  ]);

  // The sockets' folder goes when the drivers have gone (the lab stops them).
  void Promise.all([senderDriver.exited, receiverDriver.exited]).then(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  let send: LineProcess | undefined;
  const processes = [senderDriver, receiverDriver];
  let sent = new Map<number, number>();
  let delivered = new Map<number, number>();
  let probes = 0;

  const sendLines = (lines: readonly string[]): void => {
    if (!send) throw new Error('startClients() first');
    send.child.stdin?.write(`${lines.join('\n')}\n`);
  };

  return {
    label: 'msinet CLI (send → dump)',
    socketOf,
    startClients() {
      const dump = spawnCli(
        lab,
        receiverHost,
        'msinet',
        ['--socket', socketOf(receiverHost), 'dump', '--json'],
        {
          label: 'msinet dump',
        },
      );
      processes.push(dump);
      onLines(dump, (line, at) => {
        const id = idOfDumpLine(line);
        if (id === undefined) return;
        if (id >= PROBE_BASE) probes += 1;
        else if (sent.has(id) && !delivered.has(id)) delivered.set(id, at);
      });
      send = spawnCli(
        lab,
        senderHost,
        'msinet',
        ['--socket', socketOf(senderHost), 'send', '--to', options.names.receiver, '--json'],
        { label: 'msinet send' },
      );
      processes.push(send);
    },
    send(id) {
      sendLines([jsonLineOfId(id)]);
      if (id < PROBE_BASE) sent.set(id, benchClock());
    },
    burst(first, count) {
      const ids = idRange(first, count);
      const lines = ids.map(jsonLineOfId);
      const at = benchClock();
      sendLines(lines);
      for (const id of ids) sent.set(id, at);
    },
    probeArrived: (timeoutMs) => until(() => probes > 0, timeoutMs),
    async collect(count, timeoutMs) {
      await until(() => delivered.size >= count, timeoutMs, 20);
      const stamps: PairStamps = { sent, delivered };
      sent = new Map();
      delivered = new Map();
      return stamps;
    },
    driverPids: () => ({ sender: senderDriver.pid, receiver: receiverDriver.pid }),
    problems: () => problemLines(processes),
  };
}
