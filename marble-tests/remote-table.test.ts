/**
 * remoteTable (SPEC §4, §6): a remote opens once its clock reference locks,
 * closes at once on Bye or 1 s after its last HostID; its Midi packets pass
 * serial tracking and the stream parser, one stream per path.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { map, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockFilterFor } from '../src/operators/clock-reference.js';
import {
  emptyTable,
  remoteTable,
  tableStep,
  type PeerAddress,
  type TableEffect,
  type TableInput,
  type TableParams,
  type TableState,
} from '../src/operators/remote-table.js';
import { encodeEvent } from '../src/wire/event-codec.js';
import type { MidiPacket, Packet } from '../src/wire/packet.js';
import { keyOn } from './fixtures.js';

const params: TableParams = { clock: clockFilterFor(10), timeoutMs: 1000, maxRemotes: 2, maxNameLength: 31 };
const hostA: PeerAddress = { address: '10.0.0.1', port: 4950 };
const hello = (clock: number, name = 'hostA'): Packet => ({
  kind: 'hostId',
  clock,
  name,
  extra: new Uint8Array(),
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
    const at = next.kind === 'packet' || next.kind === 'tick' ? next.at : -1;
    for (const effect of step.effects) effects.push({ at, effect });
  }
  return { state, effects };
}

/** The wake-up burst of a station whose clock reads 1000 ms more than ours: 6 HostIDs, 50 ms apart. */
const burst = (from = 0) => [0, 50, 100, 150, 200, 250].map((t) => input(from + t, hello(from + t + 1000)));

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
        map((effect) => effect.kind),
      );
      //   250: the 6th sample locks the reference: open.   350 + 1000 < 1400 (tick): close.
      expectObservable(table$).toBe('250ms o 1149ms c', { o: 'open', c: 'close' });
    });
  });

  test('a remote opens once its clock reference locks; its Midi before that waits, then plays', () => {
    const [b0, b1, b2, ...rest] = burst();
    const early = fold([b0!, b1!, b2!, input(120, midi(1, 1115, 60))]);
    assert.deepEqual(early.effects, []);
    const opened = fold(rest, early.state);
    assert.deepEqual(
      opened.effects.map(({ at, effect }) => [at, effect.kind]),
      [
        [250, 'open'],
        [250, 'packet'],
      ],
    );
    const played = opened.effects[1]?.effect;
    assert.ok(played?.kind === 'packet');
    assert.equal(played.packet.arrival, 120, 'planned from when it came');
    assert.equal(opened.state.remotes.get('10.0.0.1:4950')?.name, 'hostA');
  });

  test('Midi from a station never heard of is rejected and counted', () => {
    const { effects } = fold([input(0, midi(1, 1000, 60))]);
    assert.deepEqual(
      effects.map(({ effect }) => effect.kind),
      ['rejected'],
    );
  });

  test('Bye closes at once; silence closes after 1 s', () => {
    const open = fold(burst()).state;
    const bye = fold([input(300, { kind: 'bye' })], open);
    assert.deepEqual(
      bye.effects.map(({ effect }) => effect),
      [{ kind: 'close', key: '10.0.0.1:4950', name: 'hostA', reason: 'bye' }],
    );
    assert.equal(bye.state.remotes.size, 0);
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

  test('packets: kept ones carry their events; a duplicate is dropped and counted; after a gap notes are released', () => {
    const open = fold(burst()).state;
    const { state, effects } = fold(
      [input(300, midi(1, 1300, 60)), input(301, midi(1, 1300, 60)), input(320, midi(3, 1320, 64))],
      open,
    );
    assert.deepEqual(
      effects.map(({ at, effect }) => [at, effect.kind, effect.kind === 'packet' && effect.releasesNotes]),
      [
        [300, 'packet', false],
        [320, 'packet', true],
      ],
    );
    const first = effects[0]?.effect;
    assert.ok(first?.kind === 'packet');
    assert.deepEqual(first.packet.events, [{ ...keyOn(60), date: 0 }]);
    assert.equal(first.packet.offset, -1000);
    const stats = state.remotes.get('10.0.0.1:4950')?.stats;
    assert.equal(stats?.duplicates, 1);
    assert.equal(stats?.missing, 1);
    assert.equal(stats?.packetsIn, 3);
  });

  test("an original's broadcast stream has serials of its own: neither stream disturbs the other", () => {
    const open = fold(burst()).state;
    const { state, effects } = fold(
      [
        input(300, midi(1, 1300, 60)),
        input(300, midi(1, 1300, 61), hostA, 'broadcast'),
        input(310, midi(2, 1310, 62)),
      ],
      open,
    );
    assert.deepEqual(
      effects.map(({ effect }) => effect.kind),
      ['packet', 'packet', 'packet'],
    );
    assert.equal(state.remotes.get('10.0.0.1:4950')?.stats.duplicates, 0);
  });

  test('a station that restarts (its clock jumps back) is a new stream, not duplicates', () => {
    const open = fold([...burst(), input(300, midi(5, 1300, 60))]).state;
    const { effects } = fold([input(400, hello(3)), input(410, midi(1, 13, 62))], open);
    assert.deepEqual(
      effects.map(({ effect }) => effect.kind),
      ['gap', 'packet'],
    );
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
      crowd.effects.map(({ effect }) => effect.kind),
      ['rejected'],
    );
  });
});
