/**
 * Memory of programs that run no driver code, started the way the stations
 * are: plain node, and node with tsx running a TypeScript file. A driver's
 * own memory is what it takes above these.
 */
import type { Lab } from '../test/harness/lab.js';
import { rssKb, sleep } from './lan-pair.js';

export interface Baseline {
  name: string;
  rssKb: number | undefined;
}

/** Long enough for a process to have loaded what it loads. */
const SETTLE_MS = 1_500;

export async function baselineMemory(lab: Lab, host: string): Promise<Baseline[]> {
  const programs = [
    {
      name: 'node, an idle script',
      start: () => lab.spawn(host, process.execPath, ['-e', 'process.stdin.resume()']),
    },
    {
      name: 'node --import tsx, an idle TypeScript file',
      start: () => lab.spawnTypeScript(host, 'bench/lan-idle.ts', []),
    },
  ];
  const baselines: Baseline[] = [];
  for (const program of programs) {
    const proc = program.start();
    await sleep(SETTLE_MS);
    baselines.push({ name: program.name, rssKb: rssKb(proc.pid) });
    proc.closeStdin();
    await proc.kill('SIGTERM', 1_000);
  }
  return baselines;
}
