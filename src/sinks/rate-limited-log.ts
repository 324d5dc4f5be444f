/**
 * Bad input is counted and logged, but a flood must not become a flood of
 * log lines (SPEC §10): each kind of problem logs at most once per interval,
 * saying how many of it were suppressed since its last line. Kinds may name
 * an address ("bad packet from 10.0.0.3"), so a flood from many (spoofed)
 * addresses cannot grow memory: past `MAX_KINDS` kinds, new ones count as one.
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from './logger.js';

export interface ProblemCounter {
  /** Count one problem of this kind; maybe log it. */
  (kind: string, detail: string): void;
  /** Every kind seen so far and how often. */
  counts(): Record<string, number>;
}

/** Distinct kinds a counter keeps apart; the rest share `OTHER_KIND`. */
export const MAX_KINDS = 256;
export const OTHER_KIND = 'other problems';

export function problemCounter(logger: Logger, scheduler: SchedulerLike, intervalMs = 1000): ProblemCounter {
  const counts = new Map<string, number>();
  const lastLogged = new Map<string, { at: number; countThen: number }>();
  const count = (named: string, detail: string) => {
    const kind = counts.has(named) || counts.size < MAX_KINDS - 1 ? named : OTHER_KIND;
    const total = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, total);
    const now = scheduler.now();
    const last = lastLogged.get(kind);
    if (last !== undefined && now - last.at < intervalMs) return;
    const suppressed = last === undefined ? 0 : total - last.countThen - 1;
    lastLogged.set(kind, { at: now, countThen: total });
    const what = kind === named ? kind : `${OTHER_KIND}, ${named}`;
    logger.warn(`${what}: ${detail}${suppressed > 0 ? ` (${suppressed} more since the last report)` : ''}`);
  };
  return Object.assign(count, { counts: () => Object.fromEntries(counts) });
}
