/**
 * One WAN server under many clients (bench/wan.ts): the installed
 * `msInetDriver -s` on lab host `b`, with `msinet dump --json` as its one
 * local client; N client stations in one process on lab host `a`
 * (bench/wan-clients.ts), each sending RATE events a second to the server.
 *
 * - delivery delay: each event's delivery (the benchmark reads dump's line)
 *   − its send (the client stamps it) − G − maxLat, on the machine's
 *   monotonic clock, which both namespaces share;
 * - the server's CPU (user + system, /proc/PID/stat) and memory (VmRSS, VmHWM)
 *   over the run; dump's and the clients' CPU beside it, since all of them
 *   share the machine's cores;
 * - events lost (sent, never delivered), and the server's own statistics of
 *   its remotes over the run (`msinet clients --json`: late and missing
 *   packets, duplicates).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Lab } from '../test/harness/lab.js';
import type { LineProcess } from '../test/harness/line-process.js';
import { REPO_ROOT } from '../test/harness/paths.js';
import { PROBE_BASE } from './lan-events.js';
import { watchCpuPressure } from './lan-machine.js';
import { benchClock, benchEpoch, problemLines, rssKb, sleep, until } from './lan-pair.js';
import { cpuShare, cpuTimeMs, peakRssKb } from './proc-stat.js';
import { summarize, type Summary } from './lan-stats.js';
import { Deliveries, perSecond } from './wan-deliveries.js';

export interface LoadPlan {
  clients: number;
  /** Events a second, each client. */
  rate: number;
  /** Unmeasured sending first (JIT, clock filters), then the measured run, s. */
  warmUpSeconds: number;
  seconds: number;
  g: number;
  lat: number;
  /** Where to append every event's stamps as JSON lines (`--raw FILE`). */
  raw?: string;
}

export interface LoadFigures {
  plan: LoadPlan;
  /** Remotes the server listed when the run began. */
  remotes: number;
  sent: number;
  delivered: number;
  lost: number;
  /** Sends the clients' hubs refused. */
  refused: number;
  /** The server's statistics of its remotes, summed over them, over the measured run. */
  server: { late: number; missing: number; duplicates: number; packetsIn: number; eventsIn: number };
  /** delivery − send − G − maxLat, ms. */
  delay: Summary;
  /** The delay split: send → the server's hand-over (less G + maxLat), and hand-over → the benchmark's reading. */
  parts: { server: Summary; path: Summary };
  /** The same, for the events sent in each second of the run: is the tail steady, or one bad moment? */
  seconds: Summary[];
  /** Share of one core, over the measured run. */
  cpu: { server?: number; dump?: number; clients?: number };
  /** kB: the server before the clients came, at the end of the run, and its peak. */
  serverRss: { alone?: number; end?: number; peak?: number };
  /** The server's VmRSS every RSS_EVERY_MS of the run, kB: does it level off? */
  rssSeries: (number | undefined)[];
  /** Share of the run during which some task waited for a CPU. */
  pressure?: number;
  wallSeconds: number;
  problems: string[];
}

const SERVER_HOST = 'b';
const CLIENTS_HOST = 'a';
const SERVER_NAME = 'wanserver';
/** The server's port: the WAN default. */
const SERVER_PORT = 4951;
/** The clients' first port on their host (the server has 4951 on its own). */
const CLIENTS_FIRST_PORT = 4960;
const START_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 40_000;
export const RSS_EVERY_MS = 10_000;
const DUMP_GONE = Symbol('dump gone');
/** After the last send, how long deliveries may take beyond G + maxLat. */
const TAIL_MS = 3_000;

/** The server's remotes and their statistics, from `msinet clients --json`. */
interface RemoteRow {
  name: string;
  stats?: { late: number; missing: number; duplicates: number; packetsIn: number; eventsIn: number };
}

export async function measureServerLoad(lab: Lab, plan: LoadPlan): Promise<LoadFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-wan-bench-'));
  const socket = join(dir, 'server.sock');
  const cli = (bin: string) => join(REPO_ROOT, 'dist/bin', `${bin}.js`);
  const flags = ['-g', String(plan.g), '-lat', String(plan.lat)];
  const processes: LineProcess[] = [];
  let dump: StreamedProcess | undefined;
  let sampling: ReturnType<typeof setInterval> | undefined;
  try {
    const server = lab.spawn(
      SERVER_HOST,
      process.execPath,
      [cli('msInetDriver'), '-s', ...flags, '--socket', socket],
      {
        hostname: SERVER_NAME,
        label: 'msInetDriver -s',
        cwd: REPO_ROOT,
      },
    );
    processes.push(server);
    await server.waitForLine(/local clients: /, START_TIMEOUT_MS, { stream: 'stderr' });

    const deliveries = new Deliveries();
    const receiver = streamLines(
      lab,
      SERVER_HOST,
      [cli('msinet'), '--socket', socket, 'dump', '--json'],
      (line) => deliveries.read(line, benchClock()),
    );
    dump = receiver;
    /**
     * `work`, unless dump goes first: the server drops a local client that
     * reads too slowly (8 MiB behind, 2 s of this run's deliveries), which a
     * machine too busy to run dump causes; the figures would then be nothing.
     */
    const whileDumpRuns = async <T>(work: Promise<T>): Promise<T> => {
      work.catch(() => undefined); // if dump goes first, work fails later, when the lab stops
      const result = await Promise.race([work, receiver.exited.then(() => DUMP_GONE)]);
      if (result !== DUMP_GONE) return result as T;
      const why = [...receiver.stderrTail, ...problemLines([server])].join('; ') || 'it said nothing';
      throw new Error(`msinet dump stopped during the run: ${why}`);
    };
    await sleep(1_000);
    const alone = rssKb(server.pid);

    const clients = lab.spawnTypeScript(
      CLIENTS_HOST,
      'bench/wan-clients.ts',
      [
        '--server',
        // A host without a port is dialled at the dialler's own port (every station on one port, as the original).
        `${lab.address(SERVER_HOST)}:${SERVER_PORT}`,
        '--count',
        String(plan.clients),
        '--first-port',
        String(CLIENTS_FIRST_PORT),
        '--epoch',
        benchEpoch(),
        '--',
        ...flags,
      ],
      { label: 'wan-clients' },
    );
    processes.push(clients);
    const ready = await clients.waitForLine(/^ready (.*)$/, READY_TIMEOUT_MS);
    const names = (ready.match[1] ?? '').split(' ');

    // Every client's probe through to dump: every link is complete both ways.
    const probesBy = new Set<string>();
    deliveries.onProbe = (from) => probesBy.add(from);
    const deadline = benchClock() + READY_TIMEOUT_MS;
    for (let probe = PROBE_BASE; probesBy.size < names.length; probe++) {
      if (benchClock() > deadline) {
        const missing = names.filter((n) => !probesBy.has(n));
        throw new Error(`no probe from ${missing.join(', ')} in ${READY_TIMEOUT_MS} ms`);
      }
      clients.writeLine(`probe ${probe}`);
      await sleep(250);
    }
    await until(() => probesBy.size >= names.length, plan.g + plan.lat + TAIL_MS);

    const run = async (first: number, seconds: number) => {
      const total = seconds * plan.rate;
      const file = join(dir, `sent-${first}.f64`);
      deliveries.expect(names, first, total);
      const from = clients.stdoutLines.length;
      clients.writeLine(`run ${first} ${total} ${plan.rate} ${file}`);
      return {
        total,
        file,
        ran: clients.waitForLine(/^ran (\d+)$/, seconds * 1000 + READY_TIMEOUT_MS, { from }),
      };
    };

    const warmUp = await run(0, plan.warmUpSeconds);
    await whileDumpRuns(warmUp.ran);
    await whileDumpRuns(
      until(() => deliveries.count() >= names.length * warmUp.total, plan.g + plan.lat + TAIL_MS, 20),
    );

    const statsBefore = await serverStats(lab, socket);
    const pids = { server: server.pid, dump: receiver.pid, clients: clients.pid };
    const cpuBefore = {
      server: cpuTimeMs(pids.server),
      dump: cpuTimeMs(pids.dump),
      clients: cpuTimeMs(pids.clients),
    };
    const startedAt = benchClock();
    const rssSeries: (number | undefined)[] = [rssKb(server.pid)];
    sampling = setInterval(() => rssSeries.push(rssKb(server.pid)), RSS_EVERY_MS);
    const pressure = watchCpuPressure(benchClock);
    const measured = await run(warmUp.total, plan.seconds);
    const ran = await whileDumpRuns(measured.ran);
    const wallMs = benchClock() - startedAt;
    clearInterval(sampling);
    const cpuAfter = {
      server: cpuTimeMs(pids.server),
      dump: cpuTimeMs(pids.dump),
      clients: cpuTimeMs(pids.clients),
    };
    const busy = pressure.stop();
    const expected = names.length * measured.total;
    await whileDumpRuns(until(() => deliveries.count() >= expected, plan.g + plan.lat + TAIL_MS, 20));
    const statsAfter = await serverStats(lab, socket);

    const sentAt = new Float64Array(readFileSync(measured.file).buffer.slice(0));
    const { delays, sentTimes, server: serverParts, path } = deliveries.delays(sentAt, plan.g + plan.lat);
    if (plan.raw !== undefined) deliveries.keepRaw(plan.raw, sentAt);
    return {
      plan,
      remotes: statsBefore.length,
      sent: expected,
      delivered: delays.length,
      lost: expected - delays.length,
      refused: Number(ran.match[1]),
      server: statsDelta(statsBefore, statsAfter),
      delay: summarize(delays),
      parts: { server: summarize(serverParts), path: summarize(path) },
      seconds: perSecond(sentTimes, delays),
      cpu: {
        server: cpuShare(cpuBefore.server, cpuAfter.server, wallMs),
        dump: cpuShare(cpuBefore.dump, cpuAfter.dump, wallMs),
        clients: cpuShare(cpuBefore.clients, cpuAfter.clients, wallMs),
      },
      serverRss: { alone, end: rssKb(server.pid), peak: peakRssKb(server.pid) },
      rssSeries,
      pressure: busy,
      wallSeconds: wallMs / 1000,
      problems: problemLines(processes),
    };
  } finally {
    clearInterval(sampling);
    await dump?.stop();
    await lab.reset();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface StreamedProcess {
  readonly pid: number | undefined;
  /** Settles when it has exited. */
  readonly exited: Promise<void>;
  /** Its last lines on stderr. */
  readonly stderrTail: string[];
  stop(): Promise<void>;
}

/**
 * A process on a lab host whose stdout lines go to `onLine` as they are read
 * and are not kept (Lab.spawn keeps every line: 1.9 million of dump's would
 * weigh on the benchmark's own heap, and its collections on the stamps).
 */
function streamLines(
  lab: Lab,
  host: string,
  args: readonly string[],
  onLine: (line: string) => void,
): StreamedProcess {
  const [file, ...argv] = lab.commandLine(host, process.execPath, args, { cwd: REPO_ROOT }) as [
    string,
    ...string[],
  ];
  const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: REPO_ROOT });
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 3) stderrTail.shift();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    pid: child.pid,
    exited,
    stderrTail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const signal = (name: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, name);
        } catch {
          // gone already
        }
      };
      signal('SIGTERM');
      const kill = setTimeout(() => signal('SIGKILL'), 1_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

async function serverStats(lab: Lab, socket: string): Promise<RemoteRow[]> {
  const result = await lab.run(
    SERVER_HOST,
    process.execPath,
    [join(REPO_ROOT, 'dist/bin/msinet.js'), '--socket', socket, 'clients', '--json'],
    { timeoutMs: 20_000 },
  );
  if (result.code !== 0)
    throw new Error(`msinet clients --json: exit ${String(result.code)}: ${result.stderr}`);
  const rows = JSON.parse(result.stdout) as (RemoteRow & { kind: string })[];
  return rows.filter((row) => row.kind === 'remote');
}

function statsDelta(before: readonly RemoteRow[], after: readonly RemoteRow[]): LoadFigures['server'] {
  const sum = (rows: readonly RemoteRow[], key: keyof NonNullable<RemoteRow['stats']>) =>
    rows.reduce((total, row) => total + (row.stats?.[key] ?? 0), 0);
  const delta = (key: keyof NonNullable<RemoteRow['stats']>) => sum(after, key) - sum(before, key);
  return {
    late: delta('late'),
    missing: delta('missing'),
    duplicates: delta('duplicates'),
    packetsIn: delta('packetsIn'),
    eventsIn: delta('eventsIn'),
  };
}
