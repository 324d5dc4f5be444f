/**
 * remoteTable (SPEC §4, §6, §7): a remote opens once its clock reference
 * locks, closes at once on Bye or a link going down, or 1 s after its last
 * HostID; its Midi packets go on with the clock offset at their arrival.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, filter, map, merge, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { PeerAddress } from '../src/model/station.js';
import { clockFilterFor } from '../src/operators/clock-reference.js';
import {
  emptyTable,
  remoteTable,
  tableStep,
  type TableEffect,
  type TableInput,
  type TableParams,
  type TableState,
} from '../src/operators/remote-table.js';
import { encodeCapabilities } from '../src/wire/capabilities.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import type { MidiPacket, Packet } from '../src/wire/packet.js';
import { keyOn } from './fixtures.js';

const params: TableParams = {
  clock: clockFilterFor(10),
  timeoutMs: 1000,
  maxRemotes: 2,
  maxNameLength: 31,
  completionTimeoutMs: 0,
};
const hostA: PeerAddress = { address: '10.0.0.1', port: 4950 };
const hello = (clock: number, name = 'hostA', extra: Uint8Array = new Uint8Array()): Packet => ({
  kind: 'hostId',
  clock,
  name,
  extra,
});
const midi = (serial: number, date: number, ...pitches: number[]): MidiPacket => ({
  kind: 'midi',
  serial,
  date,
  offset: 0,
  events: Buffer.concat(pitches.map((pitch) => encodeEvent(keyOn(pitch), 0))),
});
const input = (
  at: number,
  packet: Packet,
  from = hostA,
  stream: 'udp' | 'broadcast' = 'udp',
): TableInput => ({
  kind: 'packet',
  from,
  stream,
  at,
  packet,
});

/** Runs inputs through the pure step; answers the final state and every effect, stamped with its input's time. */
function fold(inputs: TableInput[], state: TableState = emptyTable) {
  const effects: Array<{ at: number; effect: TableEffect }> = [];
  for (const next of inputs) {
    const step = tableStep(state, next, params);
    state = step.state;
    for (const effect of step.effects) effects.push({ at: next.at, effect });
  }
  return { state, effects };
}

/** The effects but the clock observations every HostID makes, and appearances (a test of their own). */
const lifecycle = (effects: Array<{ at: number; effect: TableEffect }>) =>
  effects.filter(
    ({ effect }) =>
      effect.kind !== 'appeared' && (effect.kind !== 'observed' || effect.report.kind !== 'clock'),
  );

/** The wake-up burst of a station whose clock reads 1000 ms more than ours: 6 HostIDs, 50 ms apart. */
const burst = (from = 0, extra?: Uint8Array) =>
  [0, 50, 100, 150, 200, 250].map((t) => input(from + t, hello(from + t + 1000, 'hostA', extra)));

describe('remoteTable', () => {
  test('in virtual time: open after the wake-up burst, close 1 s after the last HostID', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      // HostIDs at 0, 50 … 250 (the burst), then 350; ticks every 100 ms.
      const inputs = cold('h 49ms h 49ms h 49ms h 49ms h 49ms h 99ms h', { h: 'hello' }).pipe(
        map((): TableInput => input(scheduler.now(), hello(scheduler.now() + 1000))),
      );
      const ticks = cold(
        '100ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t 99ms t',
        {
          t: 'tick',
        },
      ).pipe(map((): TableInput => ({ kind: 'tick', at: scheduler.now() })));
      const table$ = merge(inputs, ticks).pipe(
        remoteTable(params),
        filter((effect) => effect.kind !== 'observed'),
        map((effect) => effect.kind),
      );
      //   0: the first HostID: appeared.   250: the 6th sample locks the reference: open.
      //   350 + 1000 < 1400 (tick): close.
      expectObservable(table$).toBe('a 249ms o 1149ms c', { a: 'appeared', o: 'open', c: 'close' });
    });
  });

  test('each HostID is observed: its clock reference, for the statistics', () => {
    const { effects } = fold(burst().slice(0, 2));
    assert.deepEqual(
      effects.flatMap(({ effect }) => (effect.kind === 'observed' ? [[effect.report.kind, effect.key]] : [])),
      [
        ['clock', '10.0.0.1:4950'],
        ['clock', '10.0.0.1:4950'],
      ],
    );
  });

  test("a remote's first HostID, and its first after a restart, say it appeared: it may have missed our wake-up burst", () => {
    const restartAt = 2000;
    const { effects } = fold([
      ...burst(),
      input(restartAt, hello(10)), // its clock went back by over a second: it restarted
      input(restartAt + 50, hello(60)),
      input(restartAt + 60, hello(70), { address: '10.0.0.2', port: 4950 }),
    ]);
    assert.deepEqual(
      effects.flatMap(({ at, effect }) => (effect.kind === 'appeared' ? [[at, effect.key]] : [])),
      [
        [0, '10.0.0.1:4950'],
        [restartAt, '10.0.0.1:4950'],
        [restartAt + 60, '10.0.0.2:4950'],
      ],
    );
  });

  test('a remote opens once its clock reference locks; its Midi before that waits, then follows the open', () => {
    const [b0, b1, b2, ...rest] = burst();
    const early = fold([b0!, b1!, b2!, input(120, midi(1, 1115, 60))]);
    assert.deepEqual(lifecycle(early.effects), []);
    const opened = fold(rest, early.state);
    assert.deepEqual(
      lifecycle(opened.effects).map(({ at, effect }) => [at, effect.kind]),
      [
        [200, 'open'], // the 6th sample: 5 HostIDs and the Midi packet's date
        [200, 'packet'],
      ],
    );
    const played = lifecycle(opened.effects)[1]?.effect;
    assert.ok(played?.kind === 'packet');
    assert.equal(played.at, 120, 'planned from when it came');
    assert.equal(played.serial, 1);
    assert.equal(opened.state.remotes.get('10.0.0.1:4950')?.name, 'hostA');
  });

  test('Midi dates count towards the lock: a remote that plays as soon as it has locked on us opens at its first notes, and they play at once', () => {
    // Five HostIDs (R − P = −1000), then the remote's first notes: the 6th sample locks.
    const five = fold(burst().slice(0, 5));
    assert.deepEqual(lifecycle(five.effects), []);
    const notes = fold([input(215, midi(1, 1215, 60)), input(225, midi(2, 1225, 62))], five.state);
    assert.deepEqual(
      lifecycle(notes.effects).map(({ at, effect }) => [
        at,
        effect.kind,
        effect.kind === 'packet' ? effect.serial : '',
      ]),
      [
        [215, 'open', ''],
        [215, 'packet', 1],
        [225, 'packet', 2],
      ],
    );
    const first = lifecycle(notes.effects)[1]?.effect;
    assert.ok(first?.kind === 'packet');
    assert.equal(first.offset, -1000, 'timed by the reference it locked');
    const reports = notes.effects.flatMap(({ effect }) =>
      effect.kind === 'observed' && effect.report.kind === 'clock' ? [effect.report.locked] : [],
    );
    assert.deepEqual(reports, [true], 'the open is observed with its locked reference, for the statistics');
  });

  test('an msinet HostID opens with its capabilities; a version-1 one with none', () => {
    const msinet = fold(burst(0, encodeCapabilities({ fineDates: { clockFraction: 0 }, reliable: true })));
    const v1 = fold(burst());
    const opens = (effects: Array<{ effect: TableEffect }>) =>
      effects.flatMap(({ effect }) => (effect.kind === 'open' ? [[effect.fineDates, effect.reliable]] : []));
    assert.deepEqual(opens(msinet.effects), [[true, true]]);
    assert.deepEqual(opens(v1.effects), [[false, false]]);
  });

  test('Midi from a station never heard of is rejected and counted', () => {
    const { effects } = fold([input(0, midi(1, 1000, 60))]);
    assert.deepEqual(
      effects.map(({ effect }) => effect.kind),
      ['rejected'],
    );
  });

  test('Bye closes at once; a link going down too; silence closes after 1 s', () => {
    const open = fold(burst()).state;
    const bye = fold([input(300, { kind: 'bye' })], open);
    assert.deepEqual(
      bye.effects.map(({ effect }) => effect),
      [{ kind: 'close', key: '10.0.0.1:4950', name: 'hostA', reason: 'bye' }],
    );
    assert.equal(bye.state.remotes.size, 0);
    const down = fold([{ kind: 'linkDown', peer: hostA, at: 300, reason: 'reset' }], open);
    assert.deepEqual(
      down.effects.map(({ effect }) => effect.kind === 'close' && effect.reason),
      ['link down'],
    );
    const quiet = fold(
      [
        { kind: 'tick', at: 1200 },
        { kind: 'tick', at: 1300 },
      ],
      open,
    );
    assert.deepEqual(
      quiet.effects.map(({ at, effect }) => [at, effect.kind]),
      [[1300, 'close']],
    );
  });

  test("an open remote's Midi goes on at once, with the clock offset at its arrival, on its stream", () => {
    const open = fold(burst()).state;
    const { effects } = fold(
      [
        input(300, midi(1, 1300, 60)),
        input(301, midi(1, 1300, 60)),
        input(305, midi(1, 1300, 61), hostA, 'broadcast'),
      ],
      open,
    );
    assert.deepEqual(
      effects.map(
        ({ effect }) =>
          effect.kind === 'packet' && [effect.at, effect.stream, effect.serial, Math.round(effect.offset)],
      ),
      [
        [300, 'udp', 1, -1000],
        [301, 'udp', 1, -1000], // a duplicate is the receive path's to drop, per stream
        [305, 'broadcast', 1, -1000],
      ],
    );
  });

  test('a station that restarts (its clock jumps back) is observed as a restart, and its clock starts over', () => {
    const open = fold([...burst(), input(300, midi(5, 1300, 60))]).state;
    const { state, effects } = fold([input(400, hello(3)), input(410, midi(1, 13, 62))], open);
    assert.deepEqual(
      effects.map(({ effect }) => (effect.kind === 'observed' ? effect.report.kind : effect.kind)),
      ['appeared', 'restart', 'clock', 'packet'],
    );
    assert.equal(
      state.remotes.get('10.0.0.1:4950')?.clock.window.length,
      2,
      'the new HostID and packet only',
    );
    assert.equal(state.remotes.get('10.0.0.1:4950')?.open, true, 'it stays open');
  });

  test('Echo is answered; more remotes than the limit are rejected', () => {
    const echo = fold([input(0, { kind: 'echo', payload: new Uint8Array(8).fill(7) })]);
    assert.deepEqual(echo.effects[0]?.effect, {
      kind: 'echo',
      to: hostA,
      payload: new Uint8Array(8).fill(7),
    });
    const crowd = fold(
      [1, 2, 3].map((n) => input(0, hello(1000, `host${n}`), { address: `10.0.0.${n}`, port: 4950 })),
    );
    assert.equal(crowd.state.remotes.size, 2);
    assert.deepEqual(
      lifecycle(crowd.effects).map(({ effect }) => effect.kind),
      ['rejected'],
    );
  });

  test('WAN (linked): a remote exists over a link only; HostIDs over none are rejected', () => {
    const wan = { ...params, completionTimeoutMs: 10_000 };
    const step = (state: TableState, input: TableInput) => tableStep(state, input, wan);
    const unlinked = step(emptyTable, input(0, hello(1000)));
    assert.deepEqual(
      unlinked.effects.map((e) => e.kind),
      ['rejected'],
    );
    let state = step(emptyTable, { kind: 'linkUp', peer: hostA, at: 0 }).state;
    const kinds: string[] = [];
    for (const b of burst(10)) {
      const next = step(state, b);
      state = next.state;
      kinds.push(...next.effects.filter((e) => e.kind !== 'observed').map((e) => e.kind));
    }
    assert.deepEqual(kinds, ['appeared', 'open'], 'its first HostID over the link: it appeared');
    const opened = [...state.remotes.values()][0];
    assert.equal(opened?.reliable, true, 'over a link, port 255 rides its TCP, whatever the peer announces');
  });

  test('WAN (linked): not open 10 s after its link came, it is dropped with an unlink; open and silent, closed too', () => {
    const wan = { ...params, completionTimeoutMs: 10_000 };
    const linked = tableStep(emptyTable, { kind: 'linkUp', peer: hostA, at: 0 }, wan).state;
    const early = tableStep(linked, { kind: 'tick', at: 9_900 }, wan);
    assert.deepEqual(early.effects, [], 'no silence timeout while it sets up');
    const late = tableStep(early.state, { kind: 'tick', at: 10_100 }, wan);
    assert.deepEqual(late.effects, [{ kind: 'unlink', peer: hostA, reason: 'incomplete' }]);
    assert.equal(late.state.remotes.size, 0);

    let open = tableStep(emptyTable, { kind: 'linkUp', peer: hostA, at: 0 }, wan).state;
    for (const b of burst()) open = tableStep(open, b, wan).state;
    const silent = tableStep(open, { kind: 'tick', at: 250 + 1_100 }, wan);
    assert.deepEqual(
      silent.effects.map((e) => (e.kind === 'close' || e.kind === 'unlink' ? [e.kind, e.reason] : e.kind)),
      [
        ['close', 'timeout'],
        ['unlink', 'timeout'],
      ],
    );
    const down = tableStep(open, { kind: 'linkDown', peer: hostA, at: 300, reason: 'closed by peer' }, wan);
    assert.deepEqual(
      down.effects.map((e) => e.kind === 'close' && e.reason),
      ['link down'],
    );
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<TableInput>('|').pipe(remoteTable(params))).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<TableInput>('-').pipe(remoteTable(params))).toBe('-');
    });
  });

  test('error: forwarded, after the effects before it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const echo = input(0, { kind: 'echo', payload: new Uint8Array(8) });
      const kinds$ = hot('-e-#', { e: echo }).pipe(
        remoteTable(params),
        map((effect) => effect.kind),
      );
      expectObservable(kinds$).toBe('-e-#', { e: 'echo' });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const echo = input(0, { kind: 'echo', payload: new Uint8Array(8) });
      const source = hot('-e--e-|', { e: echo });
      expectObservable(
        source.pipe(
          remoteTable(params),
          map((e) => e.kind),
        ),
        '^--!',
      ).toBe('-e-', { e: 'echo' });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('reentrancy: an input sent back from a subscriber is folded after the one that caused it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<TableInput>();
      const burstInputs = Object.fromEntries(burst().map((b, i) => [String(i), b]));
      const result = merge(hot('-012345-', burstInputs), feedback).pipe(
        remoteTable(params),
        tap((effect) => {
          // A Bye fed back on the open closes the remote the open just made: the fold saw the open
          // first (else there would be nothing to close), though tap passes the open on after it.
          if (effect.kind === 'open') feedback.next(input(251, { kind: 'bye' }));
        }),
        filter((effect) => effect.kind !== 'observed'),
        map((effect) => effect.kind),
      );
      expectObservable(result).toBe('-a----(co)', { a: 'appeared', o: 'open', c: 'close' });
    });
  });
});
