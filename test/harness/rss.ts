/**
 * A process's resident memory as the kernel counts it (VmRSS in
 * /proc/PID/status), sampled over time, for tests that a driver's memory
 * stays bounded under a flood.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** VmRSS of `pid` in MiB; undefined once the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 4th field, after "(comm)", which may itself hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * `pid` itself or the first of its descendants whose command line contains
 * `text`: the node process of a program started through wrappers (setpriv,
 * nsenter, ip netns exec, sh) that may exec or fork.
 */
export function findProcess(pid: number, text: string): number | undefined {
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    if (cmdline(next).includes(text)) return next;
    queue.push(...children(next));
  }
  return undefined;
}

export interface RssSample {
  /** ms since sampling began. */
  at: number;
  mib: number;
}

/** Samples `pid`'s VmRSS every `everyMs` until `stop()`, which returns the samples. */
export function sampleRss(pid: number, everyMs = 1_000): { stop(): RssSample[] } {
  const start = performance.now();
  const samples: RssSample[] = [];
  const take = () => {
    const mib = rssMiB(pid);
    if (mib !== undefined) samples.push({ at: performance.now() - start, mib });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** `samples` as "t=12s 85.3 MiB, …" for a diagnostic line. */
export function showRss(samples: readonly RssSample[], every = 5): string {
  return samples
    .filter((_, i) => i % every === 0 || i === samples.length - 1)
    .map((s) => `${Math.round(s.at / 1000)}s ${s.mib.toFixed(1)}`)
    .join(', ');
}
