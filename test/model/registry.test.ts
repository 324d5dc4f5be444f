import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  destinations,
  initialRegistry,
  isConnected,
  localCount,
  MAX_CLIENTS,
  MAX_DEPARTED,
  MAX_REMEMBERED,
  reduce,
  resolve,
  type RegistryAction,
  type RegistryState,
} from '../../src/model/registry.js';

/** Applies actions that must succeed; answers the state and the refs opened, in order. */
function run(...actions: RegistryAction[]): { state: RegistryState; refs: number[] } {
  let state = initialRegistry('msLANDriver');
  const refs: number[] = [];
  for (const action of actions) {
    const step = reduce(state, action);
    assert.ok(step.ok, `${action.type} failed: ${step.ok ? '' : step.reason}`);
    state = step.value.state;
    if (step.value.client) refs.push(step.value.client.ref);
  }
  return { state, refs };
}

function reason(state: RegistryState, action: RegistryAction): string {
  const step = reduce(state, action);
  assert.equal(step.ok, false, `${action.type} should have failed`);
  return step.ok ? '' : step.reason;
}

const open = (
  name: string,
  extra: Partial<Extract<RegistryAction, { type: 'openLocal' }>> = {},
): RegistryAction => ({
  type: 'openLocal',
  name,
  ...extra,
});
const remote = (name: string, address?: string): RegistryAction => ({
  type: 'addRemote',
  name,
  ...(address ? { address } : {}),
});

describe('registry: clients and refs', () => {
  test('the driver is ref 0; others take the lowest free ref, reused after a close', () => {
    const { state, refs } = run(remote('hostA', '10.0.0.2'), open('app'), open('other'), {
      type: 'closeLocal',
      ref: 2,
    });
    assert.deepEqual(refs, [1, 2, 3]);
    assert.deepEqual(
      state.clients.map((c) => [c.ref, c.name, c.kind]),
      [
        [0, 'msLANDriver', 'driver'],
        [1, 'hostA', 'remote'],
        [3, 'other', 'local'],
      ],
    );
    assert.equal(state.clients[1]?.address, '10.0.0.2');
    const reopened = reduce(state, open('again'));
    assert.ok(reopened.ok);
    assert.equal(reopened.value.client?.ref, 2);
  });

  test('remote names are cut to 31 characters and made unique among stations', () => {
    const long = 'a-very-long-host-name-of-a-studio-machine';
    const { state } = run(remote(long), remote(long), remote('msLANDriver'), open('hostB'), remote('hostB'));
    const names = state.clients.filter((c) => c.kind === 'remote').map((c) => c.name);
    assert.deepEqual(names, [long.slice(0, 31), `${long.slice(0, 29)}#2`, 'msLANDriver#2', 'hostB']);
    assert.ok(names.every((n) => n.length <= 31));
  });

  test('control characters in a host name are replaced; an empty name falls back to the address', () => {
    const { state } = run(remote('bad\nname'), remote('', '10.0.0.9'));
    assert.deepEqual(
      state.clients.slice(1).map((c) => c.name),
      ['bad?name', '10.0.0.9'],
    );
  });

  test('local names must be 1–64 characters without control characters', () => {
    const { state } = run();
    assert.match(reason(state, open('')), /empty/);
    assert.match(reason(state, open('x'.repeat(65))), /longer than 64/);
    assert.match(reason(state, open('tab\there')), /control/);
    assert.ok(reduce(state, open('x'.repeat(64))).ok);
  });

  test('closing or removing checks the ref and its kind', () => {
    const { state } = run(remote('hostA'), open('app'));
    assert.match(reason(state, { type: 'closeLocal', ref: 9 }), /no client with ref 9/);
    assert.match(reason(state, { type: 'closeLocal', ref: 1 }), /not a local client/);
    assert.match(reason(state, { type: 'removeRemote', ref: 2 }), /not a remote client/);
    assert.match(reason(state, { type: 'removeRemote', ref: 0 }), /not a remote client/);
  });

  test(`at most ${MAX_CLIENTS} clients`, () => {
    let state = initialRegistry('msLANDriver');
    for (let i = 1; i < MAX_CLIENTS; i++) {
      const step = reduce(state, open(`app${i}`));
      assert.ok(step.ok);
      state = step.value.state;
    }
    assert.match(reason(state, open('one-too-many')), /too many clients/);
    assert.match(reason(state, remote('hostZ')), /too many clients/);
  });
});

describe('registry: connections', () => {
  test('connect by name or ref, idempotent; disconnect removes; closing drops the connections', () => {
    const { state } = run(remote('hostA'), open('app'), { type: 'connect', src: 'app', dst: 'hostA' });
    assert.ok(isConnected(state, 2, 1));
    const again = reduce(state, { type: 'connect', src: 2, dst: '1' });
    assert.ok(again.ok);
    assert.deepEqual(again.value.state.connections, [{ src: 2, dst: 1 }]);
    const back = reduce(again.value.state, { type: 'connect', src: 'hostA', dst: 'app' });
    assert.ok(back.ok);
    assert.deepEqual(destinations(back.value.state, 1), [2]);
    const cut = reduce(back.value.state, { type: 'disconnect', src: 'hostA', dst: 2 });
    assert.ok(cut.ok);
    assert.equal(isConnected(cut.value.state, 1, 2), false);
    const closed = reduce(back.value.state, { type: 'closeLocal', ref: 2 });
    assert.ok(closed.ok);
    assert.deepEqual(closed.value.state.connections, []);
  });

  test('a name designates every client of that name', () => {
    const { state } = run(remote('hostA'), open('dump'), open('dump'), {
      type: 'connect',
      src: 'hostA',
      dst: 'dump',
    });
    assert.deepEqual(destinations(state, 1), [2, 3]);
  });

  test('errors: unknown name or ref, self-connection, the driver', () => {
    const { state } = run(remote('hostA'), open('app'));
    assert.match(reason(state, { type: 'connect', src: 'app', dst: 'nobody' }), /no client named 'nobody'/);
    assert.match(reason(state, { type: 'connect', src: 7, dst: 'app' }), /no client with ref 7/);
    assert.match(reason(state, { type: 'connect', src: 'app', dst: 2 }), /itself/);
    assert.match(reason(state, { type: 'connect', src: 'app', dst: 'msLANDriver' }), /driver itself/);
    assert.match(reason(state, { type: 'disconnect', src: 0, dst: 'app' }), /driver itself/);
  });

  test('a digits-only id is a name first, then a ref', () => {
    const { state } = run(remote('hostA'), open('1'));
    const named = resolve(state, '1');
    assert.ok(named.ok);
    assert.deepEqual(
      named.value.map((c) => c.ref),
      [2],
    );
    const byRef = resolve(state, '2');
    assert.ok(byRef.ok);
    assert.equal(byRef.value[0]?.name, '1');
  });
});

describe('registry: connection memory (SPEC §1)', () => {
  test('an application that quits and opens again gets its connections back while the remote lives', () => {
    const { state, refs } = run(
      remote('hostA'),
      open('synth'),
      { type: 'connect', src: 'synth', dst: 'hostA' },
      { type: 'connect', src: 'hostA', dst: 'synth' },
      { type: 'closeLocal', ref: 2 },
      open('other'),
      open('synth'),
    );
    const synth = refs[3] as number;
    assert.equal(synth, 3);
    assert.ok(isConnected(state, synth, 1));
    assert.ok(isConnected(state, 1, synth));
    assert.deepEqual(destinations(state, 1), [synth], 'the other application got nothing');
  });

  test('disconnecting forgets', () => {
    const { state } = run(
      remote('hostA'),
      open('synth'),
      { type: 'connect', src: 'hostA', dst: 'synth' },
      { type: 'connect', src: 'synth', dst: 'hostA' },
      { type: 'disconnect', src: 'hostA', dst: 'synth' },
      { type: 'closeLocal', ref: 2 },
      open('synth'),
    );
    assert.deepEqual(state.connections, [{ src: 2, dst: 1 }]);
  });

  test('a remote that comes back under its name gets its connections back (SPEC §7: a reconnected remote)', () => {
    const { state } = run(
      remote('hostA'),
      open('synth'),
      open('keys'),
      { type: 'connect', src: 'hostA', dst: 'synth' },
      { type: 'connect', src: 'keys', dst: 'hostA' },
      { type: 'removeRemote', ref: 1 },
      remote('hostB'),
      remote('hostA'),
    );
    const hostA = state.clients.find((c) => c.name === 'hostA')?.ref;
    assert.equal(hostA, 4);
    assert.deepEqual(state.connections, [
      { src: 3, dst: 4 },
      { src: 4, dst: 2 },
    ]);
    assert.deepEqual(destinations(state, 5), [], 'hostB, another station, gets nothing');
    assert.deepEqual(state.departed, [], 'its memory is its own again, no longer kept for its return');
  });

  test('a returning remote finds an application it remembers when that application opens later', () => {
    const { state } = run(
      remote('hostA'),
      open('synth'),
      { type: 'connect', src: 'hostA', dst: 'synth' },
      { type: 'closeLocal', ref: 2 },
      { type: 'removeRemote', ref: 1 },
      remote('hostA'),
      open('synth'),
    );
    assert.deepEqual(state.connections, [{ src: 1, dst: 2 }]);
  });

  test(`departed remotes are kept by name, at most ${MAX_DEPARTED}, the longest gone forgotten first`, () => {
    const actions: RegistryAction[] = [];
    for (let i = 0; i <= MAX_DEPARTED; i++)
      actions.push(remote(`host${i}`), { type: 'removeRemote', ref: 1 });
    const { state } = run(...actions);
    assert.equal(state.departed.length, MAX_DEPARTED);
    assert.equal(state.departed[0]?.name, 'host1');
    assert.equal(state.departed.at(-1)?.name, `host${MAX_DEPARTED}`);
  });

  test('a remote remembers another remote by name too', () => {
    const { state } = run(
      remote('hostA'),
      remote('hostB'),
      { type: 'connect', src: 'hostA', dst: 'hostB' },
      { type: 'removeRemote', ref: 2 },
      remote('hostB'),
    );
    assert.deepEqual(state.connections, [{ src: 1, dst: 2 }]);
  });

  test('transient clients are neither remembered nor restored', () => {
    const { state } = run(
      remote('hostA'),
      open('msinet-dump', { transient: true }),
      { type: 'connect', src: 'hostA', dst: 'msinet-dump' },
      { type: 'closeLocal', ref: 2 },
      open('synth'),
      { type: 'connect', src: 'hostA', dst: 'synth' },
      { type: 'closeLocal', ref: 2 },
      open('msinet-dump', { transient: true }),
      open('synth', { transient: true }),
    );
    assert.deepEqual(state.memory, [{ remote: 1, from: [], to: ['synth'] }]);
    assert.deepEqual(state.connections, []);
  });

  test(`a remote remembers at most ${MAX_REMEMBERED} names per direction, forgetting the oldest`, () => {
    const actions: RegistryAction[] = [remote('hostA')];
    for (let i = 0; i <= MAX_REMEMBERED; i++) {
      actions.push(
        open(`app${i}`),
        { type: 'connect', src: 'hostA', dst: `app${i}` },
        { type: 'closeLocal', ref: 2 },
      );
    }
    const { state } = run(...actions);
    const to = state.memory[0]?.to ?? [];
    assert.equal(to.length, MAX_REMEMBERED);
    assert.equal(to[0], 'app1');
    assert.equal(to.at(-1), `app${MAX_REMEMBERED}`);
  });
});

describe('registry: MIDI port clients (kind midi)', () => {
  test('a client opened with kind midi is listed as midi, is counted as local and closes as local', () => {
    const { state, refs } = run(open('app'), open('USB Keyboard', { kind: 'midi' }), remote('hostA'));
    assert.deepEqual(
      state.clients.map((c) => [c.name, c.kind]),
      [
        ['msLANDriver', 'driver'],
        ['app', 'local'],
        ['USB Keyboard', 'midi'],
        ['hostA', 'remote'],
      ],
    );
    assert.equal(localCount(state), 2, 'both wake the driver');
    const closed = reduce(state, { type: 'closeLocal', ref: refs[1] as number });
    assert.ok(closed.ok);
    assert.equal(localCount(closed.value.state), 1);
    assert.match(reason(state, { type: 'removeRemote', ref: refs[1] as number }), /not a remote client/);
  });

  test('a midi client follows and is connected like any local client', () => {
    const { state } = run(
      open('msinet hostA', { kind: 'midi', follow: { kind: 'name', name: 'hostA' } }),
      remote('hostA'),
      { type: 'connect', src: 'msinet hostA', dst: 'hostA' },
    );
    assert.deepEqual(state.connections, [
      { src: 1, dst: 2 },
      { src: 2, dst: 1 },
    ]);
  });
});

describe('registry: following', () => {
  test('a client following remotes is connected from every remote, present and future', () => {
    const { state } = run(
      remote('hostA'),
      open('dump', { follow: { kind: 'remotes' }, transient: true }),
      open('synth'),
      remote('hostB'),
    );
    assert.deepEqual(state.connections, [
      { src: 1, dst: 2 },
      { src: 4, dst: 2 },
    ]);
  });

  test('a client following a name is connected from each client of that name as it appears', () => {
    const { state } = run(
      open('dump', { follow: { kind: 'name', name: 'hostB' } }),
      remote('hostA'),
      remote('hostB'),
      open('hostB'),
    );
    assert.deepEqual(state.connections, [
      { src: 3, dst: 1 },
      { src: 4, dst: 1 },
    ]);
  });
});
