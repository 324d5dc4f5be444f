/**
 * The clock reference (clockStep, the step the remote table folds per HostID
 * and Midi packet). The rules under test (SPEC §4 Latency, §6): the offset is
 * a robust mean of recent R − P values that follows drift; the reference locks
 * after a full window (10 samples, the original's 1 s of HostIDs), or after the
 * 6 of the wake-up burst when they agree within 2 ms.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  clockFilterFor,
  clockStep,
  initialClockState,
  toClockReference,
  type ClockFilterParams,
  type ClockState,
} from '../../src/operators/clock-reference.js';
import type { ClockReference, ClockSample } from '../../src/model/pipeline.js';

/** A sample whose R − P is `transit` (the remote clock at 1000 when ours reads 1000 + transit). */
const sample = (transit: number, remote = 1000): ClockSample => ({ remote, local: remote + transit });

const LAN = clockFilterFor(10);

/** The references a list of R − P values leads to, one per sample. */
function referencesFor(transits: number[], params: ClockFilterParams = LAN): ClockReference[] {
  let state: ClockState = initialClockState;
  return transits.map((t, i) => {
    state = clockStep(state, sample(t, 1000 + 100 * i), params);
    return toClockReference(state);
  });
}

describe('the clock reference (clockStep)', () => {
  test('locks at the 6th sample of the wake-up burst when the samples agree within 2 ms', () => {
    const locks = referencesFor([500, 501, 500, 502, 500, 501]).map((r) => r.locked);
    assert.deepEqual(locks, [false, false, false, false, false, true]);
  });
  test('late stamps among the first samples: each sample past the 6th lets one more be left out, up to two more', () => {
    // A station that has just woken stamps a datagram late now and then (cold code, its
    // warm-up); a stamp is never early. Two late ones among 6 leave 5 that agree …
    const twoLate = [500, 504, 501, 507, 500, 501, 500];
    assert.equal(
      referencesFor(twoLate)
        .map((r) => r.locked)
        .indexOf(true),
      6,
      '7th sample, not the 10th',
    );
    const threeLate = [500, 504, 501, 507, 505, 501, 500, 501];
    assert.equal(
      referencesFor(threeLate)
        .map((r) => r.locked)
        .indexOf(true),
      7,
      '8th sample',
    );
    // … but a low one is never left out beyond the lowest: samples that spread downwards do not lock early.
    const spreadLow = [505, 501, 505, 497, 505, 505, 499, 505, 505, 505];
    assert.equal(
      referencesFor(spreadLow)
        .map((r) => r.locked)
        .indexOf(true),
      9,
      '10th sample',
    );
  });
  test('jittery samples lock only with a full window of 10, like the original', () => {
    const jittery = [500, 506, 501, 509, 500, 504, 503, 500, 507, 502, 501];
    const locks = referencesFor(jittery).map((r) => r.locked);
    assert.equal(locks.indexOf(true), 9, '10th sample');
  });

  test('the offset is a robust mean: a late packet in the window does not move it', () => {
    const transits = [500, 500, 500, 500, 500, 900, 500, 500, 500, 500, 500];
    const refs = referencesFor(transits);
    assert.deepEqual(
      refs.map((r) => r.offset),
      transits.map(() => 500),
    );
  });

  test('the offset follows clock drift', () => {
    // The remote clock runs 1 ms slow per 10 samples: R − P grows by 0.1 per sample.
    const drifting = Array.from({ length: 200 }, (_, i) => 500 + i / 10);
    const last = referencesFor(drifting).at(-1);
    const latest = drifting.at(-1) ?? NaN;
    assert.ok(
      last !== undefined && Math.abs(last.offset - latest) < 1,
      `offset ${last?.offset} vs ${latest}`,
    );
  });

  test('a single wild sample is left out; three agreeing ones mean the remote clock jumped', () => {
    const refs = referencesFor([500, 501, 500, 501, 500, 501, 40_500, 500, 40_501, 40_500, 40_502]);
    const [beforeOutlier, afterOutlier] = [refs[5], refs[6]];
    assert.equal(afterOutlier?.offset, beforeOutlier?.offset, 'the outlier does not move the offset');
    const last = refs.at(-1);
    assert.equal(last?.restarts, 1);
    assert.ok(last !== undefined && Math.abs(last.offset - 40_501) <= 1, `restarted offset ${last?.offset}`);
    assert.equal(last?.locked, true, 'a remote stays open across a clock jump');
  });

  test('WAN settings: a 50-sample window, lock at 21 samples, or at 6 agreeing within maxLat/50', () => {
    const wan = clockFilterFor(1500);
    const jittery = [
      500, 560, 510, 590, 505, 540, 515, 585, 500, 525, 510, 540, 570, 505, 530, 515, 535, 500, 525, 510, 520,
    ];
    const wide = referencesFor(jittery, wan).map((r) => r.locked);
    assert.equal(wide.indexOf(true), 20, '21st sample');
    const close = referencesFor([500, 520, 510, 525, 505, 515], wan).map((r) => r.locked);
    assert.equal(close.indexOf(true), 5, '6th sample: they agree within 30 ms');
  });

  test('the step is pure: it never changes the state it is given, so a fold can replay it', () => {
    const before = [sample(500), sample(503)].reduce(
      (state, s) => clockStep(state, s, LAN),
      initialClockState,
    );
    const copy = structuredClone(before);
    const after = clockStep(before, sample(501), LAN);
    assert.deepEqual(before, copy, 'the state given is unchanged');
    assert.deepEqual(after.window, [500, 503, 501]);
    assert.deepEqual(clockStep(before, sample(501), LAN), after, 'the same input gives the same state');
    assert.ok(Number.isNaN(initialClockState.offset), 'no offset before the first sample');
  });
});
