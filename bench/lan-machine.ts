/**
 * How busy the machine was while a figure was taken. Several programs share
 * two cores here, and a station that waits for a core is late by as long as
 * it waits: the kernel's CPU pressure (PSI, /proc/pressure/cpu: the share of
 * time at least one runnable task was kept waiting) says how often that
 * happened during a run, the load average says so roughly.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

/** Cumulative µs during which some runnable task waited for a CPU; undefined without PSI. */
export function cpuPressureTotalUs(): number | undefined {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts watching; `stop()` answers the share (0–1) of the elapsed time under CPU pressure. */
export function watchCpuPressure(now: () => number): { stop(): number | undefined } {
  const fromUs = cpuPressureTotalUs();
  const fromMs = now();
  return {
    stop() {
      const toUs = cpuPressureTotalUs();
      const elapsedMs = now() - fromMs;
      if (fromUs === undefined || toUs === undefined || elapsedMs <= 0) return undefined;
      return (toUs - fromUs) / 1000 / elapsedMs;
    },
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** One line: CPUs, model, kernel, node. */
export function machineLine(): string {
  const list = cpus();
  return `${list.length} CPUs (nproc; ${list[0]?.model ?? 'unknown CPU'}), Linux ${release()}, node ${process.version}`;
}
