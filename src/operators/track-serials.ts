/**
 * trackSerials(): the received Midi packets of ONE stream (one remote, one
 * path) → a verdict for each (SPEC §4 Order and loss, §6 restarts).
 *
 * ```
 * source:  --1--2--2--5--4--6--1'-|       n = serial; 1' = serial 1 dated earlier
 *                                          than the last packet by more than jumpBackMs
 * output:  --k--k--d--g--s--k--r--|
 *   k keep   d duplicate (dropped)   g keep, afterGap, missing 2 (3 and 4 never came in time)
 *   s stale: older than the last kept (dropped; 4 stays counted as missing)
 *   r keep, restarted: the sender restarted, a new stream begins (not 6 duplicates)
 * ```
 * Every packet gets a verdict at once, so the statistics see drops as they
 * happen; the packets to go on are those with `verdict === 'keep'` (`isKept`).
 *
 * A new stream begins when the sender's clock jumps back by more than
 * `jumpBackMs`, or when serial 1 comes again after a stream that had one with
 * another date (a duplicate of the first packet has the same date), or when
 * serial 1 comes dated after the last packet (a sender whose clock went on while
 * it restarted). A packet that starts a stream is `afterGap` unless it is
 * serial 1, so the stream parser skips a continuation's leading bytes.
 *
 * Scheduler: none (a pure fold, `scan`).
 */
import { map, scan, type OperatorFunction } from 'rxjs';
import type { SerialStamped, SerialVerdict } from '../model/pipeline.js';

export interface SerialTrackerOptions {
  /** A head packet dated this much before the latest one means the sender restarted. */
  jumpBackMs?: number;
}

/** What one stream has seen so far; undefined before its first packet. */
export interface SerialState {
  lastSerial: number;
  /** Latest non-zero date kept; undefined while only continuations came. */
  lastDate: number | undefined;
  /** The stream's first packet, to tell a duplicate of serial 1 from a restart. */
  firstSerial: number;
  firstDate: number;
}

export interface SerialStep<T extends SerialStamped> {
  state: SerialState | undefined;
  verdict: SerialVerdict<T>;
}

const DEFAULT_JUMP_BACK_MS = 1000;

function startsNewStream(state: SerialState, packet: SerialStamped, jumpBackMs: number): boolean {
  const { lastDate } = state;
  if (packet.date !== 0 && lastDate !== undefined && packet.date + jumpBackMs < lastDate) return true;
  if (packet.serial !== 1) return false;
  if (lastDate !== undefined && packet.date > lastDate) return true;
  return state.firstSerial === 1 && packet.date !== state.firstDate;
}

function begin<T extends SerialStamped>(packet: T, restarted: boolean): SerialStep<T> {
  return {
    state: {
      lastSerial: packet.serial,
      lastDate: packet.date === 0 ? undefined : packet.date,
      firstSerial: packet.serial,
      firstDate: packet.date,
    },
    verdict: {
      kind: 'serial',
      packet,
      verdict: 'keep',
      afterGap: packet.serial !== 1,
      missing: 0,
      restarted,
    },
  };
}

/** One packet through the tracker: the pure step behind `trackSerials`. */
export function serialStep<T extends SerialStamped>(
  state: SerialState | undefined,
  packet: T,
  jumpBackMs = DEFAULT_JUMP_BACK_MS,
): SerialStep<T> {
  if (state === undefined) return begin(packet, false);
  if (startsNewStream(state, packet, jumpBackMs)) return begin(packet, true);
  if (packet.serial <= state.lastSerial) {
    const verdict = packet.serial === state.lastSerial ? 'duplicate' : 'stale';
    return {
      state,
      verdict: { kind: 'serial', packet, verdict, afterGap: false, missing: 0, restarted: false },
    };
  }
  const missing = packet.serial - state.lastSerial - 1;
  return {
    state: {
      ...state,
      lastSerial: packet.serial,
      lastDate: packet.date === 0 ? state.lastDate : Math.max(packet.date, state.lastDate ?? 0),
    },
    verdict: { kind: 'serial', packet, verdict: 'keep', afterGap: missing > 0, missing, restarted: false },
  };
}

export function trackSerials<T extends SerialStamped>(
  options: SerialTrackerOptions = {},
): OperatorFunction<T, SerialVerdict<T>> {
  const jumpBackMs = options.jumpBackMs ?? DEFAULT_JUMP_BACK_MS;
  return (source) =>
    source.pipe(
      scan<T, SerialStep<T>, undefined>(
        (step, packet) => serialStep(step?.state, packet, jumpBackMs),
        undefined,
      ),
      map((step) => step.verdict),
    );
}

/** The packets to go on to the stream parser. */
export function isKept<T extends SerialStamped>(verdict: SerialVerdict<T>): boolean {
  return verdict.verdict === 'keep';
}
