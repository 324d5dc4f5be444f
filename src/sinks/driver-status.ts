/**
 * What `msinet status` shows of a driver (SPEC §2, §4.4): awake or asleep,
 * mode, port, latency and grouping, each remote with its statistics, and the
 * bad input counted so far. Read from the hub and the problem counter at the
 * moment it is asked.
 */
import type { Config } from '../model/config.js';
import { localCount } from '../model/registry.js';
import type { Hub } from './hub.js';
import type { ProblemCounter } from './rate-limited-log.js';

export function driverStatus(config: Config, hub: Hub, problems: ProblemCounter): Record<string, unknown> {
  const { clients } = hub.snapshot();
  return {
    awake: hub.isAwake(),
    awakeMs: Math.round(hub.awakeMs()),
    lingerMs: config.lingerMs ?? 0,
    locals: localCount(hub.snapshot()),
    mode: config.mode,
    port: config.port,
    maxLatency: config.maxLatency,
    grouping: config.grouping,
    remotes: clients
      .filter((client) => client.kind === 'remote')
      .map(({ ref, name, address }) => ({ ref, name, address, stats: hub.statsOf(ref) })),
    problems: problems.counts(),
  };
}
