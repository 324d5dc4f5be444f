/**
 * The LAN benchmark: msinet against the original msInetDriver and against
 * bare Node UDP, on two hosts of a private lab (network namespaces joined by
 * veth on one bridge), each measured the same way in the same run.
 *
 *   node --import tsx bench/lan.ts [--quick] [--raw FILE] [--only cli,library,original,floor]
 *
 * - delivery time: events sent one at a time at random gaps (2–12 ms, so
 *   they fall at every phase of a grouping period); for each, delivery − send
 *   − G − maxLat on the machine's monotonic clock, which both namespaces share
 *   (the original's clock is calibrated against it). msinet and the original
 *   promise a constant G + maxLat; what is left is what keeping it costs.
 * - throughput: bursts of 20,000 events (keyOn/keyOff pairs), end to end:
 *   delivered events per second from the first send to the last delivery
 *   (G + maxLat included), and loss. The first burst runs msinet's code cold
 *   (V8 has not optimized it yet) and is shown apart from the later ones.
 * - memory: VmRSS of the driver processes asleep, idle and after the bursts.
 *
 * Prints markdown (the lead writes docs/benchmarks.md from it); progress goes
 * to stderr. `--raw FILE` appends every run's stamps as JSON lines. Needs root
 * (network namespaces); the original's 32-bit build is made on first use.
 */
import { appendFileSync } from 'node:fs';
import { Lab, canUseNetns } from '../test/harness/lab.js';
import { buildOriginalPeer, originalMode } from '../test/harness/original-peer.js';
import { loadAverage, machineLine, watchCpuPressure } from './lan-machine.js';
import { baselineMemory, type Baseline } from './lan-memory-baseline.js';
import { buildCli, startCliPair } from './lan-pair-cli.js';
import { startOriginalPair } from './lan-pair-original.js';
import { startStationPair } from './lan-pair-station.js';
import { benchClock, rssKb, sleep, type Pair, type PairStamps } from './lan-pair.js';
import { IdPool, eventsAtRandomGaps, untilReady } from './pair-runs.js';
import {
  burstFigures,
  delays,
  fixed,
  markdownTable,
  summarize,
  whole,
  type BurstFigures,
  type Summary,
} from './lan-stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const raw = args.includes('--raw') ? args[args.indexOf('--raw') + 1] : undefined;
/** `--only cli,library`: measure just these (while working on one path); every row by default. */
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;

const PLAN = quick
  ? { latencyEvents: 100, warmUpEvents: 30, bursts: 2, burstEvents: 20_000, burstTimeoutMs: 8_000 }
  : { latencyEvents: 1_000, warmUpEvents: 150, bursts: 4, burstEvents: 20_000, burstTimeoutMs: 15_000 };
const MIN_GAP_MS = 2;
const MAX_GAP_MS = 12;
/** After the last event of a latency run, how long stragglers may take. */
const LATENCY_TAIL_MS = 3_000;
const READY_TIMEOUT_MS = 20_000;
/** After the burst, before reading memory: the drivers finish with it. */
const SETTLE_MS = 1_000;
const GOAL_P99_MS = 0.5;
const GOAL_CLI_RATE = 100_000;
const GOAL_LIBRARY_OVER_ORIGINAL = 1.5;

const HOSTS: [string, string] = ['a', 'b'];
const NAMES = { sender: 'hostA', receiver: 'hostB' };

interface Setting {
  g: number;
  lat: number;
}
const DEFAULT_SETTING: Setting = { g: 10, lat: 10 };
/** A smoke run measures the default setting only: starting stations is most of its time. */
const SETTINGS: readonly Setting[] = quick ? [DEFAULT_SETTING] : [DEFAULT_SETTING, { g: 1, lat: 1 }];

type Implementation = 'cli' | 'library' | 'original' | 'floor';
const NAME: Record<Implementation, string> = {
  cli: 'msinet CLI',
  library: 'msinet library API',
  original: 'original v1.13',
  floor: 'bare Node UDP (floor)',
};
const PATH: Record<Implementation, string> = {
  cli: '`msinet send --json` stdin → `msinet dump --json` stdout',
  library: '`hub.openLocal` client `send` → client `events$`',
  original: 'test client `on`/`off` stdin → `RECV now=`',
  floor: '`socket.send` → `message` (no G, no maxLat)',
};

interface LatencyRow {
  implementation: Implementation;
  path: string;
  sent?: number;
  summary?: Summary;
  /** Share of the run's time some task waited for a CPU. */
  pressure?: number;
  /** PairStamps.referenceAboveTruth. */
  referenceAboveTruth?: number;
  error?: string;
}
interface BurstRow {
  implementation: Implementation;
  /** One per burst. */
  figures?: BurstFigures[];
  pressure?: number;
  problems?: string[];
  error?: string;
}
interface MemoryRow {
  process: string;
  asleep?: number;
  idle?: number;
  afterBurst?: number;
}

const latencyRows = new Map<Setting, LatencyRow[]>(SETTINGS.map((s) => [s, []]));
const burstRows: BurstRow[] = [];
const memoryRows: MemoryRow[] = [];
const loads: string[] = [];

function keepRaw(run: string, stamps: PairStamps): void {
  if (raw === undefined) return;
  const entries = (map: ReadonlyMap<number, number> | undefined) => (map ? [...map] : undefined);
  const { sent, delivered, kernelDelivered } = stamps;
  appendFileSync(
    raw,
    `${JSON.stringify({ run, sent: entries(sent), delivered: entries(delivered), kernelDelivered: entries(kernelDelivered) })}\n`,
  );
}

function driverArgs(setting: Setting): string[] {
  return ['-g', String(setting.g), '-lat', String(setting.lat)];
}

const ids = new IdPool();

/** Events one at a time at random gaps; their stamps. */
function latencyRun(pair: Pair, count: number): Promise<PairStamps> {
  return eventsAtRandomGaps(pair, ids, count, {
    minGapMs: MIN_GAP_MS,
    maxGapMs: MAX_GAP_MS,
    tailMs: LATENCY_TAIL_MS,
  });
}

function memoryOf(pair: Pair): { sender?: number; receiver?: number } {
  const pids = pair.driverPids();
  return { sender: rssKb(pids.sender), receiver: rssKb(pids.receiver) };
}

interface Started {
  pair: Pair;
  /** Memory of the drivers before a client woke them (msinet's CLI drivers only). */
  asleep: { sender?: number; receiver?: number };
  /** Re-reads the original's clock before a measurement. */
  calibrate?: () => Promise<{ uncertainty: number }>;
}

async function start(
  lab: Lab,
  implementation: Implementation,
  setting: Setting,
  binary?: string,
): Promise<Started> {
  const options = { driverArgs: driverArgs(setting), names: NAMES };
  switch (implementation) {
    case 'cli': {
      const pair = await startCliPair(lab, HOSTS, options);
      const asleep = memoryOf(pair);
      pair.startClients();
      return { pair, asleep };
    }
    case 'library':
      return { pair: await startStationPair(lab, HOSTS, { kind: 'library', ...options }), asleep: {} };
    case 'original': {
      if (binary === undefined) throw new Error('the original is not built');
      const pair = await startOriginalPair(lab, HOSTS, { binary, ...options });
      return { pair, asleep: {}, calibrate: pair.calibrate };
    }
    case 'floor':
      return { pair: await startStationPair(lab, HOSTS, { kind: 'udp', names: NAMES }), asleep: {} };
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

async function measure(
  lab: Lab,
  implementation: Implementation,
  setting: Setting,
  binary?: string,
): Promise<void> {
  const withBurst = setting === DEFAULT_SETTING;
  const constant = implementation === 'floor' ? 0 : setting.g + setting.lat;
  const rows = latencyRows.get(setting) as LatencyRow[];
  process.stderr.write(`lan bench: ${NAME[implementation]}, -g ${setting.g} -lat ${setting.lat}\n`);
  try {
    const { pair, asleep, calibrate } = await start(lab, implementation, setting, binary);
    await untilReady(pair, READY_TIMEOUT_MS);
    const idle = memoryOf(pair);
    await latencyRun(pair, PLAN.warmUpEvents); // JIT, clock filters, and the probes' backlog
    const clock = calibrate ? await calibrate() : undefined;
    const pressure = watchCpuPressure(benchClock);
    const stamps = await latencyRun(pair, PLAN.latencyEvents);
    const busy = pressure.stop();
    keepRaw(`latency ${implementation} -g ${setting.g} -lat ${setting.lat}`, stamps);
    const row = { implementation, sent: stamps.sent.size, pressure: busy };
    rows.push({
      ...row,
      path: PATH[implementation],
      summary: summarize(delays(stamps, constant)),
      ...(stamps.referenceAboveTruth !== undefined
        ? { referenceAboveTruth: stamps.referenceAboveTruth }
        : {}),
    });
    if (stamps.kernelDelivered) {
      rows.push({
        ...row,
        path: `the same events at their MidiShare delivery date (the client's 2 ms poll left out); clock ±${fixed(clock?.uncertainty, 2)} ms`,
        summary: summarize(delays({ sent: stamps.sent, delivered: stamps.kernelDelivered }, constant)),
      });
    }
    if (!withBurst) return;

    const figures: BurstFigures[] = [];
    const pressures: number[] = [];
    for (let i = 0; i < PLAN.bursts; i++) {
      const burstPressure = watchCpuPressure(benchClock);
      pair.burst(ids.take(PLAN.burstEvents), PLAN.burstEvents);
      const burst = await pair.collect(PLAN.burstEvents, PLAN.burstTimeoutMs);
      const share = burstPressure.stop();
      if (share !== undefined) pressures.push(share);
      figures.push(burstFigures(burst));
      keepRaw(`burst ${implementation} ${i + 1}`, burst);
      await sleep(SETTLE_MS);
    }
    burstRows.push({
      implementation,
      figures,
      pressure: pressures.length === 0 ? undefined : pressures.reduce((a, b) => a + b, 0) / pressures.length,
      problems: figures.some((f) => f.lost > 0) ? pair.problems() : [],
    });
    if (implementation === 'floor') return;
    const after = memoryOf(pair);
    for (const side of ['sender', 'receiver'] as const) {
      memoryRows.push({
        process: `${NAME[implementation]} ${side} (${side === 'sender' ? NAMES.sender : NAMES.receiver})`,
        asleep: asleep[side],
        idle: idle[side],
        afterBurst: after[side],
      });
    }
  } catch (error) {
    if (!rows.some((r) => r.implementation === implementation)) {
      rows.push({ implementation, path: PATH[implementation], error: firstLine(error) });
    }
    if (withBurst && !burstRows.some((r) => r.implementation === implementation)) {
      burstRows.push({ implementation, error: firstLine(error) });
    }
  } finally {
    await lab.reset();
  }
}

const percent = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)} %`);

function latencyTable(setting: Setting): string {
  const rows = (latencyRows.get(setting) ?? []).map((r) => {
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
          r.referenceAboveTruth === undefined
            ? ''
            : `clock reference ${fixed(r.referenceAboveTruth)} ms above the true clock difference`,
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

/**
 * Totals over the bursts; the first burst's rate apart (msinet's code is not
 * yet compiled by V8's optimizing tiers for it: it runs several times slower),
 * and the median rate of the others with its range.
 */
function burstTotals(figures: readonly BurstFigures[]) {
  const sum = (pick: (f: BurstFigures) => number) => figures.reduce((total, f) => total + pick(f), 0);
  const warm = figures.slice(1);
  return {
    sent: sum((f) => f.sent),
    delivered: sum((f) => f.delivered),
    lost: sum((f) => f.lost),
    cold: figures[0]?.rate,
    warm: warm.length === 0 ? undefined : summarize(warm.map((f) => f.rate)),
    warmSlowest: warm.length === 0 ? undefined : Math.min(...warm.map((f) => f.rate)),
    warmSpan: warm.length === 0 ? undefined : summarize(warm.map((f) => f.spanMs)).p50,
  };
}

function burstTable(): string {
  const rows = burstRows.map((r) => {
    const name = [NAME[r.implementation], PATH[r.implementation]];
    if (r.figures === undefined) {
      return [...name, '–', '–', '–', '–', '–', '–', '–', '–', `failed: ${r.error ?? ''}`];
    }
    const t = burstTotals(r.figures);
    return [
      ...name,
      whole(t.sent),
      whole(t.delivered),
      whole(t.lost),
      whole(t.cold),
      whole(t.warm?.p50),
      t.warm ? `${whole(t.warmSlowest)}–${whole(t.warm.max)}` : '–',
      fixed(t.warmSpan, 1),
      percent(r.pressure),
      (r.problems ?? []).join('; '),
    ];
  });
  return markdownTable(
    [
      'implementation',
      'path',
      'sent',
      'delivered',
      'lost',
      'first burst (events/s)',
      'later bursts (events/s, median)',
      'later bursts (events/s, range)',
      'later bursts: first send → last delivery (ms, median)',
      'CPU pressure',
      'note',
    ],
    rows,
    [false, false, true, true, true, true, true, true, true, true, false],
  );
}

function memoryTable(baselines: readonly Baseline[]): string {
  const mb = (kb: number | undefined) => (kb === undefined ? '–' : (kb / 1024).toFixed(1));
  return markdownTable(
    ['process', 'asleep, no client (MB)', 'idle, awake (MB)', `after the ${PLAN.bursts} bursts (MB)`],
    [
      ...memoryRows.map((r) => [r.process, mb(r.asleep), mb(r.idle), mb(r.afterBurst)]),
      ...baselines.map((b) => [`baseline: ${b.name}`, '–', mb(b.rssKb), '–']),
    ],
    [false, true, true, true],
  );
}

function verdict(met: boolean): string {
  return met ? 'met' : '**not met**';
}

function goals(): string[] {
  const lines: string[] = [];
  for (const setting of SETTINGS) {
    for (const r of latencyRows.get(setting) ?? []) {
      if ((r.implementation !== 'cli' && r.implementation !== 'library') || !r.summary) continue;
      const { p50, p99 } = r.summary;
      lines.push(
        `- \`-g ${setting.g} -lat ${setting.lat}\`, ${NAME[r.implementation]}: p99 of delivery − send − G − maxLat = ` +
          `${fixed(p99)} ms (goal < ${GOAL_P99_MS}): ${verdict(p99 < GOAL_P99_MS)}; p99 − p50 = ${fixed(p99 - p50)} ms`,
      );
    }
  }
  const totals = (i: Implementation) => {
    const figures = burstRows.find((r) => r.implementation === i)?.figures;
    return figures && figures.length > 0 ? burstTotals(figures) : undefined;
  };
  const [library, original, cli] = [totals('library'), totals('original'), totals('cli')];
  if (library?.warm && original?.warm) {
    const ratio = library.warm.p50 / original.warm.p50;
    lines.push(
      `- burst rate, library API / original = ${ratio.toFixed(2)} (goal ≥ ${GOAL_LIBRARY_OVER_ORIGINAL}): ${verdict(ratio >= GOAL_LIBRARY_OVER_ORIGINAL)}`,
    );
  }
  if (cli?.warm) {
    lines.push(
      `- burst rate, CLI = ${whole(cli.warm.p50)} events/s (goal ≥ ${whole(GOAL_CLI_RATE)}): ${verdict(cli.warm.p50 >= GOAL_CLI_RATE)}`,
    );
  }
  for (const [name, figures] of [
    ['CLI', cli],
    ['library API', library],
  ] as const) {
    if (figures)
      lines.push(
        `- burst loss, ${name}: ${whole(figures.lost)} of ${whole(figures.sent)} (goal 0): ${verdict(figures.lost === 0)}`,
      );
  }
  return lines;
}

async function main(): Promise<number> {
  const started = benchClock();
  console.log(`## LAN benchmark${quick ? ' (quick smoke run: fewer events, rough figures)' : ''}\n`);
  console.log(
    `Machine: ${machineLine()}. Command: \`npm run bench${quick ? ' -- --quick' : ''}\` ` +
      `(\`node --import tsx bench/lan.ts${quick ? ' --quick' : ''}\`). Two lab hosts: network namespaces, ` +
      'veth on one bridge, every process on this one machine.\n',
  );
  const netns = canUseNetns();
  if (!netns.ok) {
    console.log(`Skipped: ${netns.why}.`);
    return 0;
  }
  buildCli();
  let binary: string | undefined;
  try {
    binary = await buildOriginalPeer(); // before the lab: the build may apt-get a compiler
    console.log(`The original's rows: its i386 build ran ${originalMode(binary)}.\n`);
  } catch (error) {
    console.log(`The original could not be built (${firstLine(error)}); its rows are missing.\n`);
  }
  loads.push(`at start ${loadAverage()}`);
  const lab = await Lab.start({ hosts: [...HOSTS], subnet: '10.79.0' });
  let baselines: Baseline[] = [];
  try {
    for (const setting of SETTINGS) {
      const implementations: Implementation[] =
        setting === DEFAULT_SETTING
          ? ['cli', 'library', 'original', 'floor']
          : ['cli', 'library', 'original'];
      for (const implementation of implementations) {
        if (only === undefined || only.includes(implementation))
          await measure(lab, implementation, setting, binary);
      }
      loads.push(`after \`-g ${setting.g} -lat ${setting.lat}\` ${loadAverage()}`);
    }
    baselines = await baselineMemory(lab, HOSTS[0]);
  } finally {
    await lab.stop();
  }

  for (const setting of SETTINGS) {
    console.log(
      `### Delivery time − send time − G − maxLat, \`-g ${setting.g} -lat ${setting.lat}\` ` +
        `(${PLAN.latencyEvents} events, one every ${MIN_GAP_MS}–${MAX_GAP_MS} ms, after ${PLAN.warmUpEvents} unmeasured)\n`,
    );
    console.log(latencyTable(setting));
    console.log('');
  }
  console.log(
    `### Throughput: ${PLAN.bursts} bursts, one after the other, of ${whole(PLAN.burstEvents)} events ` +
      `(keyOn/keyOff pairs), \`-g 10 -lat 10\`\n`,
  );
  console.log(burstTable());
  console.log(
    '\nRates are delivered events over first send → last delivery, a span that includes the constant ' +
      'G + maxLat = 20 ms; the goals are judged on the later bursts. The floor packs events as msinet does ' +
      '(163 nine-byte events per datagram) and uses msinet’s 4 MB receive buffer.\n',
  );
  console.log('### Driver memory (VmRSS), `-g 10 -lat 10`\n');
  console.log(memoryTable(baselines));
  console.log(
    '\nThe msinet CLI rows run the installed tools (`node dist/bin/msInetDriver.js`, built by `npm run build`); a ' +
      'library row is one whole station process under tsx (the driver and the benchmark’s station code). The ' +
      'baselines show what node and tsx take before any msinet code.\n',
  );
  console.log('### Goals\n');
  console.log(goals().join('\n'));
  console.log(
    '\nVersion-1 packets date events in whole milliseconds (a packet date, and each event relative to it), so ' +
      'between original stations an event sent at a random instant is delivered up to ±0.5 ms from its exact ' +
      'date: that rounding alone spreads delivery − send over 1 ms. Two msinet stations exchange fine dates ' +
      '(docs/protocol.md §7): the sub-ms parts travel too, and the msinet rows carry no such rounding.',
  );
  console.log(
    `\nCPU pressure: share of the run during which some runnable task waited for a CPU (/proc/pressure/cpu); ` +
      `above a few % the tails are the machine's, not the driver's. Load average (1, 5, 15 min): ${loads.join('; ')}. ` +
      `The LAN benchmark took ${((benchClock() - started) / 1000).toFixed(0)} s.`,
  );
  return 0;
}

process.exitCode = await main();
