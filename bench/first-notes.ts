/**
 * The first notes after a station wakes (issue 11, item 4): through the CLIs
 * on namespaced stations, a sender that has just woken plays 200 notes 5 ms
 * apart to a receiver, the first one as soon as its `msinet send` is connected
 * to the receiver's station. Every note counts, the first ones included: the
 * figure is p99 − p50 of delivery − send − G − maxLat (the benchmark stamps a
 * send when it writes the line and a delivery when it reads dump's line).
 *
 *   node --import tsx bench/first-notes.ts [runs] [--library]
 *
 * `--library` plays through msinet's library API instead (a station process
 * whose driver has just started, bench/lan-station.ts): the same drivers
 * without the `msinet` processes and the endpoint, to tell their part apart.
 * Prints, per run, p50 / p99 / p99 − p50, the first ten notes' distance
 * from the median, and the three worst notes (p99 of 200 is the third worst). Needs root (network namespaces).
 */
import { join } from 'node:path';
import { Lab, canUseNetns } from '../test/harness/lab.js';
import { REPO_ROOT } from '../test/harness/paths.js';
import { buildCli, startCliPair } from './lan-pair-cli.js';
import { startStationPair } from './lan-pair-station.js';
import { sleep, type Pair } from './lan-pair.js';
import { delays, summarize } from './lan-stats.js';

const NOTES = 200;
const SPACING_MS = 5;
const G = 10;
const MAX_LAT = 10;
const args = process.argv.slice(2);
const library = args.includes('--library');
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const DRIVER_ARGS = ['-g', String(G), '-lat', String(MAX_LAT), '--linger', '0'];

/** Whether `msinet send` on the sender is connected to the receiver's station (it reads its stdin from then on). */
async function sendIsConnected(lab: Lab, socket: string, receiver: string): Promise<boolean> {
  const msinet = join(REPO_ROOT, 'dist/bin/msinet.js');
  const { stdout } = await lab.run('a', process.execPath, [msinet, '--socket', socket, 'clients']);
  return stdout.includes(`msinet-send -> ${receiver}`);
}

/** A pair of CLI stations whose `msinet send` is connected to the receiver: the first note goes at once. */
async function cliPair(lab: Lab, names: { sender: string; receiver: string }): Promise<Pair> {
  const pair = await startCliPair(lab, ['a', 'b'], { driverArgs: DRIVER_ARGS, names });
  pair.startClients();
  const socket = pair.socketOf('a');
  const deadline = Date.now() + 10_000;
  while (!(await sendIsConnected(lab, socket, names.receiver)) && Date.now() < deadline) await sleep(20);
  return pair;
}

async function run(lab: Lab, index: number): Promise<void> {
  const names = { sender: `first${index}a`, receiver: `first${index}b` };
  // A library station is ready once its client is connected to the receiver.
  const pair = library
    ? await startStationPair(lab, ['a', 'b'], { kind: 'library', driverArgs: DRIVER_ARGS, names })
    : await cliPair(lab, names);
  for (let id = 0; id < NOTES; id++) {
    pair.send(id);
    await sleep(SPACING_MS);
  }
  const stamps = await pair.collect(NOTES, 5_000);
  const values = delays(stamps, G + MAX_LAT);
  const summary = summarize(values);
  const firsts = [...Array(10).keys()].map((id) => {
    const sent = stamps.sent.get(id);
    const got = stamps.delivered.get(id);
    return sent === undefined || got === undefined
      ? 'lost'
      : (got - sent - G - MAX_LAT - summary.p50).toFixed(2);
  });
  // p99 of 200 is the third worst note: which ones, tells a slow start from a hiccup later.
  const worst = [...stamps.delivered]
    .flatMap(([id, got]) => {
      const sent = stamps.sent.get(id);
      return sent === undefined ? [] : [{ id, excess: got - sent - G - MAX_LAT - summary.p50 }];
    })
    .sort((x, y) => y.excess - x.excess)
    .slice(0, 3)
    .map(({ id, excess }) => `#${id} ${excess.toFixed(2)}`);
  console.log(
    `run ${index}: ${values.length}/${NOTES} delivered; p50 ${summary.p50.toFixed(3)} ms, p99 ${summary.p99.toFixed(3)} ms, ` +
      `p99 − p50 ${(summary.p99 - summary.p50).toFixed(3)} ms, max ${summary.max.toFixed(3)} ms; ` +
      `first ten notes − median (ms): ${firsts.join(' ')}; worst three (note, ms − median): ${worst.join(', ')}`,
  );
  await lab.reset();
}

const netns = canUseNetns();
if (!netns.ok) {
  console.error(`first-notes: ${netns.why}`);
  process.exit(1);
}
buildCli();
const lab = await Lab.start({ hosts: ['a', 'b', 'c'], subnet: '10.78.0' });
try {
  for (let i = 1; i <= runs; i++) await run(lab, i);
} finally {
  await lab.stop();
}
