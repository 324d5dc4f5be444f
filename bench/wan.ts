/**
 * The WAN benchmark, on two hosts of a private lab (network namespaces joined
 * by veth on one bridge, every process on this one machine):
 *
 *   node --import tsx bench/wan.ts [--quick] [--only clients,cli,library,original] [--raw FILE]
 *
 * - one server, many clients (bench/wan-load.ts): the installed
 *   `msInetDriver -s` on one host, 32 client stations in one process on the
 *   other, each sending 1,000 events a second for 60 s; the server's CPU and
 *   memory, events lost, its late count, and the spread of the delivery delay;
 * - a WAN pair (a client `-s ADDRESS` sending to a server `-s`) at the WAN
 *   defaults (`-g 200 -lat 1500`) and at `-g 10 -lat 50`: delivery − send −
 *   G − maxLat for events sent one at a time at random gaps, through the CLI,
 *   the library API and the original v1.13 (native or emulated, as it ran).
 *
 * Prints markdown (the lead writes docs/benchmarks.md from it); progress goes
 * to stderr. Needs root (network namespaces). `--only clients` runs the
 * server under load alone; `--only cli,library,original` the pairs. `--raw FILE`
 * appends the load run's stamps, one JSON line a client.
 */
import { Lab, canUseNetns } from '../test/harness/lab.js';
import { buildOriginalPeer, originalMode } from '../test/harness/original-peer.js';
import { loadAverage, machineLine, watchCpuPressure } from './lan-machine.js';
import { buildCli, startCliPair } from './lan-pair-cli.js';
import { startOriginalPair } from './lan-pair-original.js';
import { startStationPair } from './lan-pair-station.js';
import { benchClock, type Pair, type SideArgs } from './lan-pair.js';
import { delays, fixed, markdownTable, summarize, whole, type Summary } from './lan-stats.js';
import { IdPool, eventsAtRandomGaps, untilReady } from './pair-runs.js';
import { RSS_EVERY_MS, measureServerLoad, type LoadFigures, type LoadPlan } from './wan-load.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** `--only clients,cli`: measure just these; every row by default. */
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
const wanted = (name: string) => only === undefined || only.includes(name);
const raw = args.includes('--raw') ? args[args.indexOf('--raw') + 1] : undefined;

const LOAD: LoadPlan = {
  clients: 32,
  rate: 1_000,
  warmUpSeconds: quick ? 1 : 3,
  seconds: quick ? 10 : 60,
  g: 200,
  lat: 1_500,
  ...(raw !== undefined ? { raw } : {}),
};
const PAIR = quick ? { warmUpEvents: 20, latencyEvents: 100 } : { warmUpEvents: 50, latencyEvents: 500 };
const MIN_GAP_MS = 2;
const MAX_GAP_MS = 12;
/** Beyond G + maxLat, how long stragglers may take. */
const TAIL_MS = 2_000;
const READY_TIMEOUT_MS = 30_000;

const HOSTS: [string, string] = ['a', 'b'];
const NAMES = { sender: 'hostA', receiver: 'hostB' };
const SUBNET = '10.80.0';

interface Setting {
  g: number;
  lat: number;
}
const SETTINGS: readonly Setting[] = [
  { g: 200, lat: 1_500 },
  { g: 10, lat: 50 },
];

type Implementation = 'cli' | 'library' | 'original';
const NAME: Record<Implementation, string> = {
  cli: 'msinet CLI',
  library: 'msinet library API',
  original: 'original v1.13',
};
const PATH: Record<Implementation, string> = {
  cli: '`msinet send --json` stdin → `msinet dump --json` stdout',
  library: '`hub.openLocal` client `send` → client `events$`',
  original: 'test client `on`/`off` stdin → `RECV now=`',
};

interface PairRow {
  implementation: Implementation;
  path: string;
  sent?: number;
  summary?: Summary;
  pressure?: number;
  error?: string;
}

const pairRows = new Map<Setting, PairRow[]>(SETTINGS.map((s) => [s, []]));
const loads: string[] = [];
const ids = new IdPool();

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

async function startPair(
  lab: Lab,
  implementation: Implementation,
  setting: Setting,
  binary: string | undefined,
): Promise<{ pair: Pair; calibrate?: () => Promise<{ uncertainty: number }> }> {
  const driverArgs = ['-g', String(setting.g), '-lat', String(setting.lat)];
  // The receiver is the server; the sender dials it.
  const sideArgs: SideArgs = { receiver: ['-s'], sender: ['-s', lab.address(HOSTS[1])] };
  const options = { driverArgs, names: NAMES, sideArgs };
  switch (implementation) {
    case 'cli': {
      const pair = await startCliPair(lab, HOSTS, options);
      pair.startClients();
      return { pair };
    }
    case 'library':
      return { pair: await startStationPair(lab, HOSTS, { kind: 'library', ...options }) };
    case 'original': {
      if (binary === undefined) throw new Error('the original is not built');
      // The original names a WAN remote by its address.
      const seenAs = { sender: lab.address(HOSTS[0]), receiver: lab.address(HOSTS[1]) };
      const pair = await startOriginalPair(lab, HOSTS, { binary, ...options, seenAs });
      return { pair, calibrate: pair.calibrate };
    }
  }
}

async function measurePair(
  lab: Lab,
  implementation: Implementation,
  setting: Setting,
  binary: string | undefined,
  mode: string,
): Promise<void> {
  const rows = pairRows.get(setting) as PairRow[];
  const path = implementation === 'original' ? `${PATH.original}; ${mode}` : PATH[implementation];
  process.stderr.write(`wan bench: pair, ${NAME[implementation]}, -g ${setting.g} -lat ${setting.lat}\n`);
  const plan = { minGapMs: MIN_GAP_MS, maxGapMs: MAX_GAP_MS, tailMs: setting.g + setting.lat + TAIL_MS };
  try {
    const { pair, calibrate } = await startPair(lab, implementation, setting, binary);
    await untilReady(pair, READY_TIMEOUT_MS + setting.g + setting.lat);
    await eventsAtRandomGaps(pair, ids, PAIR.warmUpEvents, plan); // JIT, clock filters, the probes' backlog
    const clock = await calibrate?.();
    const pressure = watchCpuPressure(benchClock);
    const stamps = await eventsAtRandomGaps(pair, ids, PAIR.latencyEvents, plan);
    const row = { implementation, sent: stamps.sent.size, pressure: pressure.stop() };
    const constant = setting.g + setting.lat;
    rows.push({ ...row, path, summary: summarize(delays(stamps, constant)) });
    if (stamps.kernelDelivered) {
      rows.push({
        ...row,
        path: `the same events at their MidiShare delivery date (the client's 2 ms poll left out); clock ±${fixed(clock?.uncertainty, 2)} ms`,
        summary: summarize(delays({ sent: stamps.sent, delivered: stamps.kernelDelivered }, constant)),
      });
    }
  } catch (error) {
    rows.push({ implementation, path, error: firstLine(error) });
  } finally {
    await lab.reset();
  }
}

const percent = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)} %`);
const mb = (kb: number | undefined) => (kb === undefined ? '–' : (kb / 1024).toFixed(1));

function pairTable(setting: Setting): string {
  const rows = (pairRows.get(setting) ?? []).map((r) => {
    const s = r.summary;
    return r.error !== undefined
      ? [NAME[r.implementation], r.path, '–', '–', '–', '–', '–', '–', '–', `failed: ${r.error}`]
      : [
          NAME[r.implementation],
          r.path,
          whole(r.sent),
          whole(s?.count),
          fixed(s?.p50),
          fixed(s?.p99),
          fixed(s?.max),
          fixed(s ? s.p99 - s.p50 : undefined),
          percent(r.pressure),
          '',
        ];
  });
  return markdownTable(
    [
      'implementation',
      'path',
      'sent',
      'delivered',
      'p50 (ms)',
      'p99 (ms)',
      'max (ms)',
      'p99 − p50 (ms)',
      'CPU pressure',
      'note',
    ],
    rows,
    [false, false, true, true, true, true, true, true, true, false],
  );
}

function loadTables(figures: LoadFigures): string {
  const { plan, delay, server, cpu, serverRss } = figures;
  const summary = markdownTable(
    [
      'remotes',
      'sent',
      'delivered',
      'lost',
      'late (server stats)',
      'missing (server stats)',
      'p50 (ms)',
      'p99 (ms)',
      'max (ms)',
      'p99 − p50 (ms)',
      'server CPU',
      'server RSS: alone / end / peak (MB)',
      'CPU pressure',
    ],
    [
      [
        whole(figures.remotes),
        whole(figures.sent),
        whole(figures.delivered),
        whole(figures.lost),
        whole(server.late),
        whole(server.missing),
        fixed(delay.p50),
        fixed(delay.p99),
        fixed(delay.max),
        fixed(delay.p99 - delay.p50),
        percent(cpu.server),
        `${mb(serverRss.alone)} / ${mb(serverRss.end)} / ${mb(serverRss.peak)}`,
        percent(figures.pressure),
      ],
    ],
    [true, true, true, true, true, true, true, true, true, true, true, false, true],
  );
  const notes = [
    `Delay: delivery − send − G − maxLat (G + maxLat = ${plan.g + plan.lat} ms). CPU: share of one core over ` +
      `the ${fixed(figures.wallSeconds, 1)} s of sending (user + system, /proc/PID/stat); beside the server, ` +
      `\`msinet dump --json\` (its local client) took ${percent(cpu.dump)} and the ${plan.clients} clients' ` +
      `process ${percent(cpu.clients)}, of the machine's two cores.`,
    `The server's statistics over the run: ${whole(server.packetsIn)} packets and ${whole(server.eventsIn)} ` +
      `events in, ${whole(server.duplicates)} duplicates. Sends the clients' hubs refused: ${whole(figures.refused)}.`,
  ];
  const { server: own, path } = figures.parts;
  notes.push(
    `Where the delay goes: from the send to the server's hand-over of the event to its local client (dump's ` +
      `\`time\`, the server's clock put on the benchmark's), less G + maxLat: p50 ${fixed(own.p50)}, p99 ` +
      `${fixed(own.p99)}, max ${fixed(own.max)} ms; from the hand-over to the benchmark reading dump's line (the ` +
      `endpoint, dump, its pipe): p50 ${fixed(path.p50)}, p99 ${fixed(path.p99)}, max ${fixed(path.max)} ms.`,
  );
  const spreads = figures.seconds.map((second) => second.p99 - second.p50);
  if (spreads.length > 0) {
    const worst = spreads.indexOf(Math.max(...spreads));
    notes.push(
      `Second by second (the events sent in each second of the run): p99 − p50 is ${fixed(summarize(spreads).p50)} ms ` +
        `in the median second and ${fixed(spreads[worst])} ms in the worst (second ${worst + 1} of ${spreads.length}); ` +
        `the largest delay of a second is ${fixed(summarize(figures.seconds.map((second) => second.max)).p50)} ms at the median. ` +
        'A tail that comes from one bad moment (the machine, a collection) shows in a few seconds only.',
    );
  }
  notes.push(
    `The server's VmRSS every ${RSS_EVERY_MS / 1000} s of the run (MB): ${figures.rssSeries.map(mb).join(', ')}.`,
  );
  if (figures.problems.length > 0) notes.push(`Warnings printed: ${figures.problems.join('; ')}`);
  return `${summary}\n\n${notes.join('\n\n')}`;
}

async function main(): Promise<number> {
  const started = benchClock();
  console.log(`## WAN benchmark${quick ? ' (quick smoke run: fewer events, rough figures)' : ''}\n`);
  console.log(
    `Machine: ${machineLine()}. Command: \`npm run bench${quick ? ' -- --quick' : ''}\` ` +
      `(\`node --import tsx bench/wan.ts${quick ? ' --quick' : ''}\`). Two lab hosts: network namespaces, ` +
      'veth on one bridge, every process on this one machine.\n',
  );
  const netns = canUseNetns();
  if (!netns.ok) {
    console.log(`Skipped: ${netns.why}.`);
    return 0;
  }
  buildCli();
  let binary: string | undefined;
  let mode = 'emulated';
  if (wanted('original')) {
    try {
      binary = await buildOriginalPeer(); // before the lab: the build may apt-get a compiler
      mode = originalMode(binary);
    } catch (error) {
      console.log(`The original could not be built (${firstLine(error)}); its rows are missing.\n`);
    }
  }
  loads.push(`at start ${loadAverage()}`);
  const lab = await Lab.start({ hosts: [...HOSTS], subnet: SUBNET });
  let load: LoadFigures | undefined;
  let loadError: string | undefined;
  try {
    if (wanted('clients')) {
      process.stderr.write(`wan bench: ${LOAD.clients} clients on one server, ${LOAD.seconds} s\n`);
      try {
        load = await measureServerLoad(lab, LOAD);
      } catch (error) {
        loadError = firstLine(error);
        process.stderr.write(
          `wan bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
      loads.push(`after the ${LOAD.clients} clients ${loadAverage()}`);
    }
    const pairs = (['cli', 'library', 'original'] as const).filter(wanted);
    for (const setting of SETTINGS) {
      if (pairs.length === 0) break;
      for (const implementation of pairs) await measurePair(lab, implementation, setting, binary, mode);
      loads.push(`after the pairs at \`-g ${setting.g} -lat ${setting.lat}\` ${loadAverage()}`);
    }
  } finally {
    await lab.stop();
  }

  if (wanted('clients')) {
    console.log(
      `### ${LOAD.clients} clients on one server, each ${whole(LOAD.rate)} events/s for ${LOAD.seconds} s, ` +
        `\`-g ${LOAD.g} -lat ${LOAD.lat}\` (after ${LOAD.warmUpSeconds} s unmeasured)\n`,
    );
    console.log(
      `The installed \`msInetDriver -s\` on one lab host, \`msinet dump --json\` its local client; ${LOAD.clients} ` +
        `client stations (library API, each \`-s SERVER\` from its own port, its own host name) in one process ` +
        `on the other host: ${LOAD.clients} node processes would take ${LOAD.clients} × 60 MB and as many event ` +
        'loops on two cores, and measure the machine more than the server.\n',
    );
    console.log(load ? loadTables(load) : `failed: ${loadError ?? 'unknown'}`);
    console.log('');
  }
  for (const setting of SETTINGS) {
    if ((pairRows.get(setting) ?? []).length === 0) continue;
    console.log(
      `### WAN pair: delivery time − send time − G − maxLat, \`-g ${setting.g} -lat ${setting.lat}\` ` +
        `(${PAIR.latencyEvents} events, one every ${MIN_GAP_MS}–${MAX_GAP_MS} ms, after ${PAIR.warmUpEvents} unmeasured)\n`,
    );
    console.log(pairTable(setting));
    console.log('');
  }
  if (SETTINGS.some((s) => (pairRows.get(s) ?? []).length > 0))
    console.log(
      'A client (`-s hostB’s address`) sends to the server (`-s`); the delay is meant to be G + maxLat whatever ' +
        'the setting, so each row should sit near 0 with a spread that does not grow with G or maxLat.',
    );
  console.log(
    `\nCPU pressure: share of the run during which some runnable task waited for a CPU (/proc/pressure/cpu); ` +
      `above a few % the tails are the machine's, not the driver's. Load average (1, 5, 15 min): ${loads.join('; ')}. ` +
      `The WAN benchmark took ${((benchClock() - started) / 1000).toFixed(0)} s.`,
  );
  return 0;
}

process.exitCode = await main();
