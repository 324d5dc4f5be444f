import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import type { MidiEvent } from '../../src/model/event.js';
import { createHub, type Hub, type LocalClient } from '../../src/sinks/hub.js';

const keyOn = (pitch: number, date?: number): MidiEvent => ({
  type: 'keyOn',
  port: 0,
  chan: 0,
  pitch,
  vel: 100,
  ...(date !== undefined ? { date } : {}),
});

function scheduler(): TestScheduler {
  return new TestScheduler(assert.deepStrictEqual);
}

function opened(hub: Hub, name: string, options?: Parameters<Hub['openLocal']>[1]): LocalClient {
  const client = hub.openLocal(name, options);
  assert.ok(client.ok, client.ok ? '' : client.reason);
  return client.value;
}

describe('hub: local to local', () => {
  test('a future-dated event is delivered at its date, dated then', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const player = opened(hub, 'player');
      const synth = opened(hub, 'synth');
      assert.ok(hub.connect('player', 'synth').ok);
      cold('5ms x').subscribe(() => player.send(keyOn(60, 30)));
      expectObservable(synth.events$, '^ 40ms !').toBe('30ms d', {
        d: { time: 30, from: 'player', event: keyOn(60, 30) },
      });
    });
  });

  test('an event without a date, or with a past one, is delivered when sent, dated now', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const player = opened(hub, 'player');
      const synth = opened(hub, 'synth');
      assert.ok(hub.connect('player', 'synth').ok);
      cold('3ms a 6ms b').subscribe((v) => player.send(v === 'a' ? keyOn(60) : keyOn(61, 2)));
      expectObservable(synth.events$, '^ 20ms !').toBe('3ms a 6ms b', {
        a: { time: 3, from: 'player', event: keyOn(60, 3) },
        b: { time: 10, from: 'player', event: keyOn(61, 10) },
      });
    });
  });

  test('connections are read when the event is dispatched, not when it is sent', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const player = opened(hub, 'player');
      const late = opened(hub, 'late');
      player.send(keyOn(60, 20));
      cold('10ms x').subscribe(() => hub.connect('player', 'late'));
      expectObservable(late.events$, '^ 30ms !').toBe('20ms d', {
        d: { time: 20, from: 'player', event: keyOn(60, 20) },
      });
    });
  });

  test('closing a client drops the events it holds and completes what it receives', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const player = opened(hub, 'player');
      const synth = opened(hub, 'synth');
      assert.ok(hub.connect('player', 'synth').ok);
      player.send(keyOn(60, 20));
      cold('10ms x').subscribe(() => player.close());
      cold('15ms x').subscribe(() => synth.close());
      expectObservable(synth.events$).toBe('15ms |');
      expectObservable(player.drained()).toBe('10ms (d|)', { d: undefined });
    });
    const hub = createHub({ driverName: 'msLANDriver' });
    const client = opened(hub, 'x');
    client.close();
    assert.deepEqual(client.send(keyOn(1)), { ok: false, reason: 'x is closed' });
    hub.dispose();
  });

  test('a client holds a bounded number of future-dated events', () => {
    const testScheduler = scheduler();
    testScheduler.run(() => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler, maxHeldPerClient: 2 });
      const player = opened(hub, 'player');
      assert.ok(player.send(keyOn(60, 10)).ok);
      assert.ok(player.send(keyOn(61, 10)).ok);
      const third = player.send(keyOn(62, 10));
      assert.equal(third.ok, false);
      assert.match(third.ok ? '' : third.reason, /holds 2 events/);
      hub.dispose();
    });
  });
});

test('all clients together hold a bounded number of future-dated events; what has left frees room', () => {
  const testScheduler = scheduler();
  testScheduler.run(() => {
    const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler, maxHeldInAll: 3 });
    const [one, two] = [opened(hub, 'one'), opened(hub, 'two')];
    assert.ok(one.send(keyOn(60, 10)).ok);
    assert.ok(one.send(keyOn(61, 20)).ok);
    assert.ok(two.send(keyOn(62, 20)).ok);
    assert.deepEqual(two.send(keyOn(63, 20)), {
      ok: false,
      reason: 'the driver holds 3 events for later dates already, from all its clients',
    });
    testScheduler.schedule(() => assert.ok(two.send(keyOn(64, 20)).ok, 'the one due at 10 has left'), 11);
    testScheduler.schedule(() => hub.dispose(), 30);
  });
});

describe('hub: remotes', () => {
  test('deliver fans an event out to every local client connected from that remote, now', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const hostA = hub.addRemote('hostA', '10.0.0.2');
      assert.ok(hostA.ok);
      const one = opened(hub, 'one');
      const two = opened(hub, 'two');
      const deaf = opened(hub, 'deaf');
      assert.ok(hub.connect('hostA', 'one').ok);
      assert.ok(hub.connect('hostA', 'two').ok);
      cold('7ms x').subscribe(() => hub.deliver(hostA.value.ref, keyOn(64, 3)));
      const d = { time: 7, from: 'hostA', event: keyOn(64, 7) };
      expectObservable(one.events$, '^ 10ms !').toBe('7ms d', { d });
      expectObservable(two.events$, '^ 10ms !').toBe('7ms d', { d });
      expectObservable(deaf.events$, '^ 10ms !').toBe('');
    });
  });

  test("a remote client's outbound$ carries what local clients send to it, at each date", () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const hostA = hub.openRemote('hostA', '10.0.0.1');
      const hostB = hub.openRemote('hostB', '10.0.0.2');
      assert.ok(hostA.ok && hostB.ok);
      const player = opened(hub, 'player');
      const quiet = opened(hub, 'quiet');
      assert.ok(hub.connect('player', 'hostA').ok);
      assert.ok(hub.connect('player', 'hostB').ok);
      cold('2ms x').subscribe(() => {
        player.send(keyOn(60, 12));
        quiet.send(keyOn(1));
      });
      expectObservable(hostA.value.outbound$, '^ 20ms !').toBe('12ms a', { a: keyOn(60, 12) });
      expectObservable(hostB.value.outbound$, '^ 20ms !').toBe('12ms b', { b: keyOn(60, 12) });
    });
  });

  test('drained waits for held events, then for the remotes it sent to to be no longer busy', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const hostA = hub.openRemote('hostA', '10.0.0.1');
      const hostB = hub.openRemote('hostB', '10.0.0.2');
      assert.ok(hostA.ok && hostB.ok);
      // hostA's send path takes the event at 5 and has it on the wire at 15; hostB stays busy, unasked.
      hostA.value.outbound$.subscribe(() => hostA.value.busy(true));
      cold('15ms x').subscribe(() => hostA.value.busy(false));
      hostB.value.busy(true);
      const player = opened(hub, 'player');
      assert.ok(hub.connect('player', 'hostA').ok);
      player.send(keyOn(60, 5));
      expectObservable(player.drained()).toBe('15ms (d|)', { d: undefined });
    });
  });

  test('a remote client that closes is not busy any more, and its outbound$ completes', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const hostA = hub.openRemote('hostA', '10.0.0.1');
      assert.ok(hostA.ok);
      hostA.value.busy(true);
      const player = opened(hub, 'player');
      assert.ok(hub.connect('player', 'hostA').ok);
      player.send(keyOn(60));
      cold('4ms x').subscribe(() => hostA.value.close());
      expectObservable(player.drained()).toBe('4ms (d|)', { d: undefined });
      expectObservable(hostA.value.outbound$).toBe('4ms |');
      testScheduler.schedule(() => assert.equal(hub.snapshot().clients.length, 2), 5);
    });
  });

  test('removing a remote drops its connections', () => {
    const hub = createHub({ driverName: 'msLANDriver' });
    const hostA = hub.addRemote('hostA');
    assert.ok(hostA.ok);
    opened(hub, 'one');
    assert.ok(hub.connect('one', 'hostA').ok);
    assert.ok(hub.removeRemote(hostA.value.ref).ok);
    assert.deepEqual(hub.snapshot().connections, []);
    assert.equal(hub.removeRemote(hostA.value.ref).ok, false);
    hub.dispose();
  });
});

describe('hub: registry news', () => {
  test('localCount$ follows local clients only (the driver sleeps at 0)', () => {
    const hub = createHub({ driverName: 'msLANDriver' });
    const counts: number[] = [];
    hub.localCount$.subscribe((n) => counts.push(n));
    const one = opened(hub, 'one');
    hub.addRemote('hostA');
    const two = opened(hub, 'two');
    one.close();
    two.close();
    assert.deepEqual(counts, [0, 1, 2, 1, 0]);
    hub.dispose();
  });

  test('a MIDI port client (kind midi) wakes the driver and receives like any local client', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const counts: number[] = [];
      hub.localCount$.subscribe((n) => counts.push(n));
      const hostA = hub.addRemote('hostA');
      assert.ok(hostA.ok);
      const synth = opened(hub, 'USB Synth', { kind: 'midi', follow: { kind: 'remotes' } });
      assert.equal(hub.snapshot().clients.find((c) => c.ref === synth.ref)?.kind, 'midi');
      assert.deepEqual(counts, [0, 1]);
      cold('4ms x').subscribe(() => hub.deliver(hostA.value.ref, keyOn(62)));
      expectObservable(synth.events$, '^ 10ms !').toBe('4ms d 1ms |', {
        d: { time: 4, from: 'hostA', event: keyOn(62, 4) },
      });
      cold('6ms x').subscribe(() => {
        synth.close();
        assert.deepEqual(counts, [0, 1, 0]);
      });
    });
  });

  test('awakeMs counts from the first of the clients open now, across later opens, and is 0 asleep', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, flush }) => {
      const hub = createHub({ driverName: 'msLANDriver', scheduler: testScheduler });
      const seen: number[] = [];
      let one: LocalClient | undefined;
      let two: LocalClient | undefined;
      cold('10ms a 9ms b 9ms c 9ms d 9ms e 9ms f').subscribe((step) => {
        if (step === 'a') one = opened(hub, 'one');
        if (step === 'b') two = opened(hub, 'two');
        if (step === 'c') one?.close();
        if (step === 'd') two?.close();
        if (step === 'e') one = opened(hub, 'again');
        seen.push(hub.awakeMs());
      });
      flush();
      assert.deepEqual(seen, [0, 10, 20, 0, 0, 10]);
    });
  });

  test('a subscriber that changes the registry while told of a change does not make others see it out of order', () => {
    const hub = createHub({ driverName: 'msLANDriver' });
    hub.clients$.subscribe((clients) => {
      if (clients.some((c) => c.name === 'hostA') && !clients.some((c) => c.name === 'listener')) {
        assert.ok(hub.openLocal('listener').ok);
      }
    });
    const seen: number[] = [];
    hub.clients$.subscribe((clients) => seen.push(clients.length));
    hub.addRemote('hostA');
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(hub.snapshot().clients.length, 3);
    hub.dispose();
  });

  test('errors come back as values', () => {
    const hub = createHub({ driverName: 'msLANDriver' });
    const unknown = hub.connect('nobody', 'msLANDriver');
    assert.equal(unknown.ok, false);
    assert.match(unknown.ok ? '' : unknown.reason, /no client named 'nobody'/);
    const empty = hub.openLocal('');
    assert.equal(empty.ok, false);
    hub.dispose();
  });
});
