/**
 * The clock reference of ONE remote (SPEC §4 Latency, §6): the step the remote
 * table folds for every (remote date P, local arrival R) sample of its HostID
 * and Midi packets, giving the offset between its clock and ours.
 *
 * ```
 * window 10, early lock after 6 samples agreeing within 2 ms
 * samples (R − P):  a  b  c  d  e  f  g …     a..f = 500, 501, 500, 502, 500, 501
 * locked:           no no no no no yes yes    at the 6th sample
 * ```
 * The filter is the original's (SkewControler, FTMA.cpp): keep the last
 * `window` values of R − P, sort them, take the mean of the `retain` central
 * ones (fewer while the window fills: transit delays only add, so an odd one
 * out is dropped from the top), then smooth that mean exponentially (a running
 * mean until the weight of a new value has fallen to `gain`). The window slides,
 * so the offset follows clock drift. The offset includes the usual transit
 * time, so `cur = (R − P) − offset` is how much later than usual a packet is.
 *
 * Locking: the original opens a remote once its window is full (10 HostIDs,
 * 1 s, in LAN). Here it also locks after `earlyLockAfter` samples (the 6 of the
 * wake-up burst) when they agree within `earlyLockSpreadMs`, leaving out the
 * lowest and the highest, and one more of the highest for each sample past the
 * sixth, up to two (a stamp can come late, never early): sooner, and no less accurate.
 * Once locked it stays locked.
 *
 * A sample further than `jumpMs` from the offset is an outlier and left out;
 * `jumpConfirm` of them in a row that agree with each other mean the remote's
 * clock jumped (it restarted): the filter starts over from them.
 *
 * Scheduler: none (a pure step, folded by remoteTable).
 */
import type { ClockReference, ClockSample } from '../model/pipeline.js';

export interface ClockFilterParams {
  /** Values of R − P kept. */
  window: number;
  /** Central values averaged once the window is full. */
  retain: number;
  /** Weight of a new filtered value in the smoothed offset once settled, (0, 1]. */
  gain: number;
  /** Samples after which the reference locks in any case. */
  lockAfter: number;
  /** Fewer samples that lock when, without the lowest and the highest, they agree within `earlyLockSpreadMs`. */
  earlyLockAfter: number;
  earlyLockSpreadMs: number;
  /** A sample this far from the offset is an outlier, or a clock jump once confirmed. */
  jumpMs: number;
  /** Consecutive outliers agreeing within `jumpMs` that confirm a clock jump. */
  jumpConfirm: number;
}

/**
 * The original's two settings (SkewControler::GetFTMAParams): a short window
 * for maxLat ≤ 10 ms, a long, slowly smoothed one for anything longer.
 */
export function clockFilterFor(maxLatMs: number): ClockFilterParams {
  if (maxLatMs <= 10) {
    return {
      window: 10,
      retain: 8,
      gain: 0.8,
      lockAfter: 10,
      earlyLockAfter: 6,
      earlyLockSpreadMs: 2,
      jumpMs: 1000,
      jumpConfirm: 3,
    };
  }
  return {
    window: 50,
    retain: 10,
    gain: 0.01,
    lockAfter: 21,
    earlyLockAfter: 6,
    earlyLockSpreadMs: Math.max(2, maxLatMs / 50),
    jumpMs: Math.max(1000, 2 * maxLatMs),
    jumpConfirm: 3,
  };
}

export interface ClockState {
  /** Recent values of R − P, oldest first. */
  window: readonly number[];
  /** Outliers waiting to be confirmed as a clock jump. */
  outliers: readonly number[];
  /** Smoothed offset; NaN before the first sample. */
  offset: number;
  /** Filtered values smoothed so far (the running-mean count). */
  smoothed: number;
  spread: number;
  locked: boolean;
  restarts: number;
}

export const initialClockState: ClockState = {
  window: [],
  outliers: [],
  offset: NaN,
  smoothed: 0,
  spread: 0,
  locked: false,
  restarts: 0,
};

/** The central values of a window: `retain` of a full one, proportionally fewer before. */
function centralValues(window: readonly number[], params: ClockFilterParams): number[] {
  const sorted = [...window].sort((x, y) => x - y);
  const full = sorted.length >= params.window;
  const keep = full
    ? params.retain
    : Math.max(1, Math.round((params.retain * sorted.length) / params.window));
  const from = Math.floor((sorted.length - keep) / 2);
  return sorted.slice(from, from + keep);
}

const spreadOf = (values: readonly number[]) => Math.max(...values) - Math.min(...values);

/**
 * How well a few samples agree: their spread without the lowest and the highest,
 * and without one more of the highest for each sample past `earlyLockAfter`, up
 * to two more. A late stamp is the usual error (a station that has just woken
 * runs cold, and may read a datagram, and stamp it, milliseconds after it came),
 * an early one cannot happen: two or three late ones among the first samples must
 * not hold the lock until the window is full.
 */
function innerSpread(window: readonly number[], earlyLockAfter: number): number {
  const sorted = [...window].sort((x, y) => x - y);
  if (sorted.length <= 2) return spreadOf(sorted);
  const highest = 1 + Math.min(2, Math.max(0, sorted.length - earlyLockAfter));
  return spreadOf(sorted.slice(1, Math.max(2, sorted.length - highest)));
}

function filterWindow(state: ClockState, window: readonly number[], params: ClockFilterParams): ClockState {
  const central = centralValues(window, params);
  const mean = central.reduce((sum, v) => sum + v, 0) / central.length;
  const spread = spreadOf(central);
  const smoothed = state.smoothed + 1;
  const weight = Math.max(params.gain, 1 / smoothed);
  const offset = state.smoothed === 0 ? mean : state.offset + weight * (mean - state.offset);
  const agrees =
    window.length >= params.earlyLockAfter &&
    innerSpread(window, params.earlyLockAfter) <= params.earlyLockSpreadMs;
  const locked = state.locked || window.length >= params.lockAfter || agrees;
  return { ...state, window, outliers: [], offset, smoothed, spread, locked };
}

/** One sample through the filter: the pure step behind `clockReference`. */
export function clockStep(state: ClockState, sample: ClockSample, params: ClockFilterParams): ClockState {
  const value = sample.local - sample.remote;
  if (Math.abs(value - state.offset) > params.jumpMs) {
    const outliers = [...state.outliers, value];
    const confirmed = outliers.length >= params.jumpConfirm && spreadOf(outliers) <= params.jumpMs;
    if (!confirmed) return { ...state, outliers: outliers.slice(-params.jumpConfirm) };
    const restarted = { ...state, smoothed: 0, restarts: state.restarts + 1 };
    return filterWindow(restarted, outliers, params);
  }
  return filterWindow(state, [...state.window, value].slice(-params.window), params);
}

export function toClockReference(state: ClockState): ClockReference {
  return {
    kind: 'clock',
    offset: state.offset,
    locked: state.locked,
    samples: state.window.length,
    spread: state.spread,
    restarts: state.restarts,
  };
}
