// A raw version-1 station (test/harness/raw-station.ts: plain Buffer writes,
// nothing shared with msinet's codec) against an msinet station on a two-host
// LAN: what the original never sends but a network or a broken peer does —
// gaps, reordering, duplicates, lying lengths, events cut across packets and
// across a gap, a restart, a note whose keyOff is lost, Bye. msinet is read
// only through its command line: `msinet dump --json`, `msinet clients --json`
// (per-remote statistics) and `msinet status --json` (counted bad input).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { canUseNetns, Lab, type RunResult } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT, tsNodeArgs } from '../harness/paths.js';
import { startRawStation, type RawStationProcess } from '../harness/raw-station-process.js';
import {
  eventBytes,
  keyOnBytes,
  noteBytes,
  PACKET_TYPE,
  packetHeader,
  sysExBytes,
} from '../harness/raw-station.js';

interface Dumped {
  time: number;
  from: string;
  event: Record<string, unknown>;
}

interface Stats {
  missing: number;
  duplicates: number;
  restarts: number;
  packetsIn: number;
}

/** A marker note: `note` events end by themselves, so the stuck-note guard never adds anything for them. */
const marker = (chan: number, pitch: number, date = 0) => noteBytes({ pitch, vel: 100, dur: 50, chan, date });

const REMOTE = 'rawB';
const REMOTE_TIMEOUT_MS = 15_000;
const DELIVERY_TIMEOUT_MS = 5_000;
const SETTLE_MS = 100;

const netns = canUseNetns();

describe('msinet against a hostile version-1 station', { skip: netns.ok ? false : netns.why }, () => {
  let lab: Lab;
  let dir: string;
  let socket: string;
  let driver: LineProcess;
  let dump: LineProcess;
  let raw: RawStationProcess;

  const msinet = (args: readonly string[]): Promise<RunResult> =>
    lab.run('a', process.execPath, tsNodeArgs('src/bin/msinet.ts', ['--socket', socket, ...args]), {
      cwd: REPO_ROOT,
      timeoutMs: 30_000,
      label: `msinet ${args[0] ?? ''}`,
    });

  const clients = async (): Promise<{ name: string; kind: string; stats?: Stats }[]> => {
    const listed = await msinet(['clients', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as { name: string; kind: string; stats?: Stats }[];
  };

  const stats = async (): Promise<Stats> => {
    const remote = (await clients()).find((c) => c.kind === 'remote' && c.name === REMOTE);
    assert.ok(remote?.stats, `msinet clients --json lists ${REMOTE} with its statistics`);
    return remote.stats;
  };

  /** Bad input msinet counted (status `problems`), summed over the kinds whose name contains `what`. */
  const problems = async (what: string): Promise<number> => {
    const shown = await msinet(['status', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const counts = ((JSON.parse(shown.stdout) as { problems?: Record<string, number> }).problems ??
      {}) as Record<string, number>;
    return Object.entries(counts)
      .filter(([kind]) => kind.includes(what))
      .reduce((sum, [, n]) => sum + n, 0);
  };

  const dumped = (): Dumped[] =>
    dump.stdoutLines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Dumped] : []));

  /**
   * What msinet delivered on `chan`, once `until` is among it and a moment
   * more has passed: events due at about the same time may print in any order.
   */
  const deliveredOn = async (chan: number, until: (e: Record<string, unknown>) => boolean) => {
    const onChan = () => dumped().filter((d) => d.from === REMOTE && d.event['chan'] === chan);
    await dump.waitUntil(
      () => (onChan().some((d) => until(d.event)) ? true : undefined),
      DELIVERY_TIMEOUT_MS,
      `msinet dump to print the awaited event on channel ${chan}`,
    );
    await sleep(SETTLE_MS);
    return onChan().map((d) => d.event);
  };
  /**
   * Pitches delivered, in ascending order. Packets a test sends back to back may
   * carry the same date (the raw station's clock is in whole ms), and each moves
   * msinet's clock offset a little, so their order on delivery is not the point.
   */
  const pitches = (events: Record<string, unknown>[]) =>
    events.map((e) => e['pitch'] as number).sort((x, y) => x - y);
  const hasPitch = (pitch: number) => (e: Record<string, unknown>) => e['pitch'] === pitch;

  before(async () => {
    lab = await Lab.start({ hosts: ['a', 'b'], subnet: '10.82.0' });
    dir = mkdtempSync(join(tmpdir(), 'msinet-hostile-'));
    socket = join(dir, 'driver.sock');
    driver = lab.spawnTypeScript('a', 'src/bin/msInetDriver.ts', ['--socket', socket], {
      hostname: 'msA',
      label: 'msinet driver',
    });
    [raw] = await Promise.all([
      startRawStation(lab, 'b', { name: REMOTE, peer: `${lab.address('a')}:4950` }),
      driver.waitForLine(/local clients: /, 20_000, { stream: 'stderr' }),
    ]);
    dump = lab.spawnTypeScript('a', 'src/bin/msinet.ts', ['--socket', socket, 'dump', '--json'], {
      label: 'msinet dump',
    });
    await announced();
  });

  /** The raw station announces itself and msinet lists it: how every test but the Bye test finds it. */
  const announced = async () => {
    await raw.announce(100);
    const deadline = performance.now() + REMOTE_TIMEOUT_MS;
    while (!(await clients()).some((c) => c.kind === 'remote' && c.name === REMOTE)) {
      if (performance.now() > deadline) assert.fail(`msinet never listed ${REMOTE}`);
      await sleep(200);
    }
  };
  after(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a gap: the events of the packets that came are delivered, the missing ones counted', async () => {
    const before = await stats();
    const first = await raw.midi({ events: marker(1, 40) });
    await raw.midi({ events: marker(1, 41), serial: first.serial + 3 }); // 2 packets never sent
    const got = await deliveredOn(1, hasPitch(41));
    assert.deepEqual(pitches(got), [40, 41]);
    const now = await stats();
    assert.equal(now.missing - before.missing, 2);
    assert.equal(now.duplicates - before.duplicates, 0);
  });

  test('reordering: a packet older than the last one received is dropped and counted', async () => {
    const before = await stats();
    const newer = await raw.midi({
      events: marker(2, 43),
      serial: (await raw.midi({ events: marker(2, 42) })).serial + 2,
    });
    await raw.midi({ events: marker(2, 99), serial: newer.serial - 1 }); // comes after its successor
    await raw.midi({ events: marker(2, 44) });
    const got = await deliveredOn(2, hasPitch(44));
    assert.deepEqual(pitches(got), [42, 43, 44]);
    const now = await stats();
    assert.equal(now.duplicates - before.duplicates, 1, 'the late packet counted as dropped');
    assert.equal(now.missing - before.missing, 1, 'it was missing when its successor came');
  });

  test('a duplicate is dropped and counted', async () => {
    const before = await stats();
    const once = await raw.midi({ events: marker(3, 45) });
    await raw.midi({ events: marker(3, 45), serial: once.serial, date: once.date });
    await raw.midi({ events: marker(3, 46) });
    const got = await deliveredOn(3, hasPitch(46));
    assert.deepEqual(pitches(got), [45, 46]);
    const now = await stats();
    assert.equal(now.duplicates - before.duplicates, 1);
    assert.equal(now.missing - before.missing, 0);
  });

  test('a packet whose count lies is dropped and counted; the next good one is delivered', async () => {
    const before = await problems('bad packet');
    const events = marker(4, 98);
    await raw.midi({ events, count: events.length + 20 }); // claims more bytes than it has
    await raw.midi({ events, count: events.length - 2 }); // and fewer
    await raw.midi({ events: marker(4, 47) });
    const got = await deliveredOn(4, hasPitch(47));
    assert.deepEqual(pitches(got), [47]);
    assert.equal((await problems('bad packet')) - before, 2);
  });

  test('garbage, a bad magic and an unknown packet type are counted, never fatal', async () => {
    const before = await problems('bad packet');
    await raw.raw(Buffer.from('not a MidiShare packet'));
    await raw.raw(Buffer.concat([packetHeader(PACKET_TYPE.midi, 0x1002), Buffer.alloc(12)]));
    await raw.raw(packetHeader(9));
    await raw.midi({ events: marker(13, 70) });
    const got = await deliveredOn(13, hasPitch(70));
    assert.deepEqual(pitches(got), [70]);
    assert.equal((await problems('bad packet')) - before, 3);
  });

  test('an event whose len lies is dropped and counted; the stream goes on', async () => {
    const before = await problems('rejected');
    // len 3: below the 5 header bytes, the stream cannot be followed past it; the next packet starts afresh.
    await raw.midi({
      events: Buffer.concat([eventBytes(0, [97, 1, 0, 9], { chan: 5, len: 3 }), marker(5, 96)]),
    });
    await raw.midi({ events: marker(5, 48) });
    // A keyOn of len 8 (3 payload bytes, where a keyOn has 2): skipped by its len, the events after it are intact.
    await raw.midi({ events: Buffer.concat([eventBytes(1, [95, 1, 7], { chan: 5 }), marker(5, 49)]) });
    const got = await deliveredOn(5, hasPitch(49));
    assert.deepEqual(pitches(got), [48, 49]);
    assert.equal((await problems('rejected')) - before, 2);
  });

  test('an event whose len claims more than its packet holds is dropped; the next packet, a new group, is delivered', async () => {
    const before = await problems('rejected');
    const lying = eventBytes(0, [94, 1, 0, 9], { chan: 6, len: 200 });
    try {
      await raw.midi({ events: Buffer.concat([marker(6, 50), lying]) });
      await raw.midi({ events: marker(6, 51) }); // dated: a new group
      await raw.midi({ events: marker(6, 52) });
      const got = await deliveredOn(6, hasPitch(52));
      assert.deepEqual(pitches(got), [50, 51, 52]);
      assert.ok((await problems('rejected')) - before >= 1, 'the lying event is counted');
    } finally {
      // After a gap every parser starts afresh: a failure here leaves the next tests a clean stream.
      const last = await raw.midi({ events: marker(6, 1) });
      await raw.midi({ events: marker(6, 53), serial: last.serial + 2 });
      await deliveredOn(6, hasPitch(53));
    }
  });

  test('an event straddling two packets is joined', async () => {
    const data = Array.from({ length: 40 }, (_, i) => i);
    const sysEx = sysExBytes({ data, chan: 7 });
    const cut = 15;
    const head = Buffer.concat([marker(7, 53), sysEx.subarray(0, cut)]);
    const rest = sysEx.subarray(cut);
    await raw.midi({ events: head });
    await raw.midi({ events: Buffer.concat([rest, marker(7, 54)]), date: 0, offset: rest.length });
    const got = await deliveredOn(7, hasPitch(54));
    // In any order: the order of a group's events across its packets is the next test's subject.
    const shown = (type: unknown, value: unknown) => JSON.stringify([type, value]);
    assert.deepEqual(
      got.map((e) => shown(e['type'], e['pitch'] ?? e['data'])).sort(),
      [shown('note', 53), shown('sysEx', data), shown('note', 54)].sort(),
    );
  });

  test('the events of one group keep their order across its packets', async () => {
    const bursts = 10;
    const perBurst = 8;
    for (let burst = 0; burst < bursts; burst++) {
      // One group of notes all dated alike (as the original dates what its clients send "now"), cut inside the 5th.
      const events = Buffer.concat(
        Array.from({ length: perBurst }, (_, i) => marker(12, burst * perBurst + i, -1)),
      );
      const cut = 4 * 9 + 4;
      await raw.midi({ events: events.subarray(0, cut) });
      await raw.midi({ events: events.subarray(cut), date: 0, offset: 9 - 4 });
      await sleep(15); // the next group, a grouping period later
    }
    const last = bursts * perBurst - 1;
    const got = await deliveredOn(12, hasPitch(last));
    assert.deepEqual(
      got.map((e) => e['pitch']),
      Array.from({ length: bursts * perBurst }, (_, i) => i),
    );
  });

  test('a continuation after a gap resumes at its offset: the cut event is dropped, the next delivered', async () => {
    const before = await stats();
    const data = Array.from({ length: 60 }, (_, i) => 127 - i);
    const sysEx = sysExBytes({ data, chan: 8 });
    const head = await raw.midi({ events: Buffer.concat([marker(8, 55), sysEx.subarray(0, 20)]) });
    // serial + 1 (bytes 20..40 of the SysEx) is lost.
    const tail = sysEx.subarray(40);
    await raw.midi({
      events: Buffer.concat([tail, marker(8, 56)]),
      serial: head.serial + 2,
      date: 0,
      offset: tail.length,
    });
    await raw.midi({ events: marker(8, 57) });
    const got = await deliveredOn(8, hasPitch(57));
    assert.deepEqual(got.map((e) => [e['type'], e['pitch']]).sort(), [
      ['note', 55],
      ['note', 56],
      ['note', 57],
    ]);
    assert.equal((await stats()).missing - before.missing, 1);
  });

  /**
   * A keyOn in one packet, its keyOff in the next, which is lost; the packet
   * after it comes `gapMs` later. msinet must release the note: a keyOff for
   * it reaches the local client, after the keyOn.
   */
  const loseKeyOff = async (chan: number, gapMs: number) => {
    const on = await raw.midi({ events: keyOnBytes({ pitch: 60, vel: 100, chan }) });
    await sleep(gapMs);
    await raw.midi({ events: marker(chan, 58), serial: on.serial + 2 });
    const got = await deliveredOn(chan, hasPitch(58));
    const keys = got.filter((e) => e['type'] !== 'note');
    assert.deepEqual(
      keys.map((e) => [e['type'], e['pitch'], e['port']]),
      [
        ['keyOn', 60, 0],
        ['keyOff', 60, 0],
      ],
      `delivered: ${JSON.stringify(got)}`,
    );
  };

  test('a keyOn whose keyOff is lost in a gap (one packet per grouping period): the guard sends the keyOff', () =>
    loseKeyOff(9, 50));

  test('a keyOn whose keyOff is lost in a gap within a burst: the guard sends the keyOff', () =>
    loseKeyOff(11, 0));

  test('a station that restarts (clock and serials back to the start) is a new stream, not duplicates', async () => {
    const before = await stats();
    await raw.midi({ events: marker(10, 61) });
    await deliveredOn(10, hasPitch(61));
    await raw.restart(1);
    await raw.midi({ events: marker(10, 62) }); // serial 1 again, dated near 1
    await sleep(150);
    await raw.midi({ events: marker(10, 63) });
    const got = await deliveredOn(10, hasPitch(63));
    assert.deepEqual(pitches(got), [61, 62, 63]);
    const now = await stats();
    assert.equal(now.duplicates - before.duplicates, 0, 'nothing dropped as a duplicate');
    assert.ok(now.restarts > before.restarts, 'the restart is counted');
  });

  test('Bye: the remote disappears at once', async () => {
    const logFrom = driver.stderrLines.length;
    await raw.silence();
    try {
      await raw.bye();
      const closed = await driver.waitForLine(
        new RegExp(`${REMOTE} : connection closed \\((\\w+)\\)`),
        5_000,
        {
          stream: 'stderr',
          from: logFrom,
        },
      );
      assert.equal(closed.match[1], 'bye', 'closed by the Bye, not by the 1 s timeout');
      assert.equal(
        (await clients()).find((c) => c.name === REMOTE),
        undefined,
      );
    } finally {
      // Back as before, so that any test may come after this one.
      await announced();
    }
  });
});
