// The LAN benchmark's pure helpers: event ids carried in MIDI fields, the
// original's clock calibration, and the figures drawn from stamps. The
// benchmark's numbers are only as right as these.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ID_CAPACITY,
  PROBE_BASE,
  eventOfId,
  fieldsOfId,
  idOfFields,
  idOfOriginalEvent,
  jsonLineOfId,
  originalCommandOfId,
} from '../../bench/lan-events.js';
import {
  benchTimeOfDate,
  benchTimeOfReading,
  clockOrigin,
  type ClockSample,
} from '../../bench/lan-original-clock.js';
import { idOfDumpLine } from '../../bench/lan-pair-cli.js';
import { referenceAboveTruth } from '../../bench/lan-pair-station.js';
import { eventToJson } from '../../src/model/event-json.js';
import { withDate, type MidiEvent } from '../../src/model/event.js';
import { burstFigures, delays, markdownTable, percentile, summarize } from '../../bench/lan-stats.js';

const anyId = fc.integer({ min: 0, max: ID_CAPACITY - 1 });

describe('event ids', () => {
  test('every id comes back from the fields it is sent with, and from the JSON line msinet reads', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        assert.equal(idOfFields(fieldsOfId(id)), id);
        const json = JSON.parse(jsonLineOfId(id)) as Parameters<typeof idOfFields>[0];
        assert.equal(idOfFields(json), id);
      }),
    );
  });

  test('every id comes back from the line msinet dump --json prints for it; other lines carry none', () => {
    fc.assert(
      fc.property(anyId, fc.double({ min: 0, max: 1e7, noNaN: true }), (id, time) => {
        const event = eventToJson(withDate(eventOfId(id) as MidiEvent, time));
        assert.equal(idOfDumpLine(JSON.stringify({ time, from: 'hostA', event })), id);
      }),
    );
    const clock = eventToJson({ type: 'clock', date: 5, port: 0, chan: 0 });
    assert.equal(idOfDumpLine(JSON.stringify({ time: 5, from: 'hostA', event: clock })), undefined);
    const guardRelease = eventToJson({
      type: 'keyOff',
      date: 5,
      port: 0,
      chan: 0,
      pitch: 60,
      vel: 64,
    } as MidiEvent);
    assert.equal(idOfDumpLine(JSON.stringify({ time: 5, from: 'hostA', event: guardRelease })), undefined);
  });

  test('an id pair is one note: keyOn then the keyOff of the same pitch, velocity and channel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ID_CAPACITY / 2 - 1 }), (note) => {
        const on = fieldsOfId(2 * note);
        const off = fieldsOfId(2 * note + 1);
        assert.equal(on.type, 'keyOn');
        assert.equal(off.type, 'keyOff');
        assert.deepEqual({ ...off, type: 'keyOn' }, on);
      }),
    );
  });

  test('fields stay in MIDI range and never use velocity 0 (a keyOn would become a keyOff) or 64 (the guard’s)', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const { pitch, vel, chan } = fieldsOfId(id);
        assert.ok(pitch >= 0 && pitch <= 127 && chan >= 0 && chan <= 15 && vel >= 1 && vel <= 127);
        assert.notEqual(vel, 64);
      }),
    );
  });

  test('the stuck-note guard’s keyOff (velocity 64) and other events are not taken for benchmark events', () => {
    assert.equal(idOfFields({ type: 'keyOff', pitch: 60, vel: 64, chan: 0 }), undefined);
    assert.equal(idOfFields({ type: 'note', pitch: 60, vel: 100, chan: 0 }), undefined);
    assert.equal(idOfFields({ type: 'keyOn', pitch: 128, vel: 100, chan: 0 }), undefined);
    assert.equal(idOfFields({ type: 'keyOn', pitch: 60, vel: 100, chan: 16 }), undefined);
    assert.equal(idOfFields({ type: 'keyOn', pitch: 60.5, vel: 100, chan: 0 }), undefined);
  });

  test('ids outside the range are refused, and probes sit at its top', () => {
    assert.throws(() => fieldsOfId(ID_CAPACITY), /out of range/);
    assert.throws(() => fieldsOfId(-1), /out of range/);
    assert.ok(PROBE_BASE > 100_000 && PROBE_BASE < ID_CAPACITY);
  });

  test('the original’s command for an id, printed back by its client as RECV, gives the id again', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const [command, pitch, vel, chan] = originalCommandOfId(id).split(' ');
        const type = command === 'on' ? 1 : 2; // MidiShare typeKeyOn, typeKeyOff
        const printed = { type, chan: Number(chan), fields: [Number(pitch), Number(vel)] };
        assert.equal(idOfOriginalEvent(printed), id);
      }),
    );
    assert.equal(idOfOriginalEvent({ type: 0, chan: 0, fields: [60, 100, 500] }), undefined);
  });
});

describe('the original’s clock on the benchmark’s', () => {
  /** Samples of a clock whose tick T spans [origin + T, origin + T + 1), answered at a random instant of [w, w + rtt]. */
  const samplesOf = (
    origin: number,
    asks: readonly { at: number; rtt: number; answer: number }[],
  ): ClockSample[] =>
    asks.map(({ at, rtt, answer }) => {
      const instant = at + answer * rtt;
      return { writtenAt: at, readAt: at + rtt, clock: Math.floor(instant - origin) };
    });
  const asks = fc.array(
    fc.record({
      at: fc.double({ min: 0, max: 10_000, noNaN: true }),
      rtt: fc.double({ min: 0.01, max: 2, noNaN: true }),
      answer: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { minLength: 1, maxLength: 40 },
  );

  test('honest samples bound the true origin: it lies within the answer’s uncertainty', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), asks, (origin, list) => {
        const found = clockOrigin(samplesOf(origin, list));
        assert.equal(found.method, 'intersection');
        assert.ok(
          Math.abs(found.origin - origin) <= found.uncertainty + 1e-6,
          `${found.origin} vs ${origin}`,
        );
        assert.ok(
          found.uncertainty <= (1 + 2) / 2,
          'at most half of one sample’s width: 1 ms tick + 2 ms round trip',
        );
      }),
    );
  });

  test('many quick samples pin the origin to a small fraction of a millisecond', () => {
    const origin = 1234.567;
    const list = Array.from({ length: 40 }, (_, i) => ({ at: i * 1.37, rtt: 0.05, answer: (i * 0.618) % 1 }));
    const found = clockOrigin(samplesOf(origin, list));
    assert.ok(found.uncertainty < 0.1, `uncertainty ${found.uncertainty}`);
    assert.ok(Math.abs(found.origin - origin) < 0.1);
  });

  test('samples that contradict each other (a late tick) fall back to the median of their midpoints', () => {
    const samples: ClockSample[] = [
      { writtenAt: 100, readAt: 100.1, clock: 100 }, // origin in [-1, 0.1]
      { writtenAt: 200, readAt: 200.05, clock: 198 }, // origin in [1, 2.05]: ticks came 2 ms late; the quickest answer
      { writtenAt: 300, readAt: 300.1, clock: 300 },
      { writtenAt: 400, readAt: 400.1, clock: 400 },
      { writtenAt: 500, readAt: 500.1, clock: 500 },
    ];
    const found = clockOrigin(samples);
    assert.equal(found.method, 'median');
    assert.ok(Math.abs(found.origin - (100.05 - 100 - 0.5)) < 1e-9);
  });

  test('a reading is the middle of its tick; a delivery date is the start of its tick', () => {
    const origin = { origin: 50, uncertainty: 0.1, method: 'intersection' as const };
    assert.equal(benchTimeOfReading(origin, 10), 60.5);
    assert.equal(benchTimeOfDate(origin, 10), 60);
  });
});

describe('figures from stamps', () => {
  test('nearest-rank percentiles of 1..100 are the values at those ranks', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
    assert.deepEqual(summarize(values), { count: 100, p50: 50, p99: 99, max: 100 });
  });

  test('negative values (an event delivered before its nominal time) are kept as they are', () => {
    assert.deepEqual(summarize([-0.4, -0.2, 0.3]), { count: 3, p50: -0.2, p99: 0.3, max: 0.3 });
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  test('delays subtract send time and the constant, for events that arrived, matched by id', () => {
    const stamps = {
      sent: new Map([
        [1, 100],
        [2, 110],
        [3, 120],
      ]),
      delivered: new Map([
        [3, 141.5],
        [1, 120.25],
        [99, 5], // never sent in this run: a straggler
      ]),
    };
    assert.deepEqual(delays(stamps, 20), [0.25, 1.5]);
  });

  test('a burst counts the lost and rates the delivered over first send → last delivery', () => {
    const sent = new Map(Array.from({ length: 10 }, (_, i) => [i, 1000] as [number, number]));
    const delivered = new Map(Array.from({ length: 8 }, (_, i) => [i, 1020 + i * 10] as [number, number]));
    const figures = burstFigures({ sent, delivered });
    assert.equal(figures.sent, 10);
    assert.equal(figures.delivered, 8);
    assert.equal(figures.lost, 2);
    assert.equal(figures.spanMs, 90);
    assert.ok(Math.abs(figures.rate - 8 / 0.09) < 1e-6);
  });

  test('a markdown table right-aligns the numeric columns', () => {
    const table = markdownTable(['name', 'n'], [['a', '1']], [false, true]);
    assert.equal(table, '| name | n |\n| --- | ---: |\n| a | 1 |');
  });
});

describe('the clock reference against the truth', () => {
  test("a receiver whose clock started 60 ms after the sender's, with an offset of 60.4 ms, is 0.4 ms above", () => {
    // The sender's clock reads 0 at benchmark time 100, the receiver's at 40: local = remote + 60.
    const sent = { sent: [], delivered: [], clock: { origin: 100 } };
    const delivered = { sent: [], delivered: [], clock: { origin: 40, offset: 60.4 } };
    assert.ok(Math.abs((referenceAboveTruth(sent, delivered) ?? NaN) - 0.4) < 1e-9);
  });

  test('stations without a driver, or a receiver that knows no remote yet, give none', () => {
    const bare = { sent: [], delivered: [] };
    assert.equal(referenceAboveTruth(bare, bare), undefined);
    assert.equal(
      referenceAboveTruth({ ...bare, clock: { origin: 1 } }, { ...bare, clock: { origin: 2 } }),
      undefined,
    );
  });
});
