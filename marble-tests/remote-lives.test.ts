/**
 * remoteLives() in virtual time. The rule under test (DESIGN.md: lifetimes
 * are groups): each open of a remote starts a life that carries the remote's
 * packets and observations, then its close, then ends; what names no open
 * remote is no life's.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, map, merge, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { ClockReference } from '../src/model/pipeline.js';
import { peerKey, type PeerAddress } from '../src/model/station.js';
import { remoteLives, type LifeEffect, type RemoteLife } from '../src/operators/remote-lives.js';
import type { TableEffect } from '../src/operators/remote-table.js';
import { eventBytes, hostA, keyA, keyOn, midiPacket, remotePacket } from './fixtures.js';

const hostB: PeerAddress = { address: '10.0.0.2', port: 4950 };
const keyB = peerKey(hostB);

const open = (from: PeerAddress, name: string): TableEffect => ({
  kind: 'open',
  key: peerKey(from),
  name,
  from,
  fineDates: false,
  reliable: false,
});
const close = (key: string, name: string): TableEffect => ({ kind: 'close', key, name, reason: 'bye' });
const packet = (key: string, serial: number): TableEffect =>
  remotePacket(midiPacket(serial, 13, eventBytes([keyOn(60), 0])), 13, { key });
const clock: ClockReference = { kind: 'clock', offset: 0, locked: true, samples: 6, spread: 0, restarts: 0 };
const observed = (key: string): TableEffect => ({ kind: 'observed', key, report: clock });

const effects = {
  a: open(hostA, 'hostA'),
  b: open(hostB, 'hostB'),
  p: packet(keyA, 1),
  q: packet(keyB, 1),
  x: close(keyA, 'hostA'),
  y: close(keyB, 'hostB'),
  e: { kind: 'echo', to: hostA, payload: new Uint8Array(8) } satisfies TableEffect,
  r: { kind: 'rejected', reason: 'Midi from an unknown station', from: hostB } satisfies TableEffect,
  k: observed(keyA),
  l: observed(keyB),
};

const peers = (lives$: Observable<RemoteLife>) => lives$.pipe(map((life) => life.peer));
const effectStreams = (lives$: Observable<RemoteLife>) => lives$.pipe(map((life) => life.effects$));

describe('remoteLives', () => {
  test("each open starts a life with the remote's effects, ended by its close; a second open of A, a new life", () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-p-b-e-q-x-q-a-p-y-|', effects);
      const lives = '       -A---B---------C-----|';
      // Each life's effects$ is drawn from the moment the life is emitted (spaces align it).
      const aFirst = cold('  --p-------(x|)', effects);
      const bOnly = cold('       ----q---q-----(y|)', effects);
      const aAgain = cold('                --p---|', effects);
      expectObservable(peers(source.pipe(remoteLives()))).toBe(lives, {
        A: effects.a,
        B: effects.b,
        C: effects.a,
      });
      expectObservable(effectStreams(source.pipe(remoteLives()))).toBe(lives, {
        A: aFirst,
        B: bOnly,
        C: aAgain,
      });
      expectSubscriptions(source.subscriptions).toBe(['^--------------------!', '^--------------------!']);
    });
  });

  test('a life carries its packets and observations; what names no open remote is left out', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable }) => {
      // k: an observation of A's; l, q, y: B's observation, packet and close, but B never opened;
      // e: an echo; r: Midi from a station never heard of; p after x: A is closed.
      const source = hot('  -lqy-a-k-e-r-p-x-p-|', effects);
      const lives = '       -----A-------------|';
      const aLife = cold('       --k-----p-(x|)', effects);
      expectObservable(effectStreams(source.pipe(remoteLives()))).toBe(lives, { A: aLife });
    });
  });

  test('a second open of a remote after its close starts a new life; the first stays ended', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable }) => {
      const source = hot('  -a-x-a-p-|', effects);
      const lives = '       -A---C---|';
      const aFirst = cold('  --(x|)', effects);
      const aAgain = cold('      --p-|', effects);
      expectObservable(effectStreams(source.pipe(remoteLives()))).toBe(lives, { A: aFirst, C: aAgain });
    });
  });

  test('when the source completes, open lives complete; when it errors, they error with it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable }) => {
      const broke = new Error('table broke');
      const completing = hot(' -a-b-p-|', effects);
      const failing = hot('    -a-b-p-#', effects, broke);
      const lives = '          -A-B---|';
      const livesBroken = '    -A-B---#';
      expectObservable(effectStreams(completing.pipe(remoteLives()))).toBe(lives, {
        A: cold('               ----p-|', effects),
        B: cold('                 ----|', effects),
      });
      expectObservable(effectStreams(failing.pipe(remoteLives()))).toBe(
        livesBroken,
        { A: cold('----p-#', effects, broke), B: cold('----#', effects, broke) },
        broke,
      );
    });
  });

  test('empty: completes, no life', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<TableEffect>('|').pipe(remoteLives())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<TableEffect>('-').pipe(remoteLives())).toBe('-');
    });
  });

  test('error with no life open: forwarded', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      expectObservable(hot<TableEffect>('--#').pipe(remoteLives())).toBe('--#');
    });
  });

  test('early unsubscribe: the source is released and the open lives get nothing more', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-p-p-x-|', effects);
      const unsub = '       ^----!';
      const lives = '       -A---';
      const aLife = cold('   --p---', effects);
      expectObservable(effectStreams(source.pipe(remoteLives())), unsub).toBe(lives, { A: aLife });
      expectSubscriptions(source.subscriptions).toBe(unsub);
    });
  });

  test("reentrancy: a close sent back while a life's packet is delivered ends that life after the packet", () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<TableEffect>();
      const seen = new Subject<LifeEffect>();
      merge(hot('-a-p-p-|', effects), feedback)
        .pipe(
          remoteLives(),
          mergeMap((life) => life.effects$),
        )
        .subscribe((effect) => {
          seen.next(effect);
          if (effect.kind === 'packet') feedback.next(effects.x);
        });
      // The close comes while the packet is being delivered; the second packet has no life left.
      expectObservable(seen).toBe('---(px)--', effects);
    });
  });
});
