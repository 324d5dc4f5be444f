// Three msinet stations on one private LAN (SPEC §6, §10): hostA, hostB and
// hostC, each its own msInetDriver process in its own network namespace,
// used through `msinet` on its own host. Times are measured from the driver
// log lines as they arrive and printed as diagnostics.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseNetns, Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { deliveries, type Delivery, sleep, snmpCounters, Station } from './lan-stations.js';

const netns = canUseNetns();
const SUBNET = '10.79.0';
const PORT = 4950;
/** SPEC §6: a remote's client appears "about one second" after both are awake; room for a loaded machine. */
const DISCOVERY_BOUND_MS = 3_000;
/** SPEC §6: no HostID for 1 s removes a remote; the task allows 1.5 s. */
const KILLED_BOUND_MS = 1_500;

const fieldsOf = ({ event }: Delivery) => {
  const { date: _date, ...fields } = event;
  return fields;
};

/** Event JSON lines with the times (ms from the first) a musician played them at. */
const PHRASE: { at: number; event: Record<string, unknown> }[] = [
  { at: 0, event: { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 } },
  { at: 40, event: { type: 'keyOn', port: 1, chan: 5, pitch: 64, vel: 90 } },
  { at: 45, event: { type: 'keyOff', port: 0, chan: 0, pitch: 60, vel: 0 } },
  { at: 160, event: { type: 'note', port: 7, chan: 15, pitch: 67, vel: 1, dur: 250 } },
  { at: 163, event: { type: 'keyOff', port: 1, chan: 5, pitch: 64, vel: 64 } },
  { at: 300, event: { type: 'keyOn', port: 2, chan: 9, pitch: 36, vel: 127 } },
  { at: 420, event: { type: 'keyOff', port: 2, chan: 9, pitch: 36, vel: 0 } },
  { at: 520, event: { type: 'keyOn', port: 4, chan: 1, pitch: 48, vel: 70 } },
  { at: 522, event: { type: 'keyOn', port: 4, chan: 1, pitch: 52, vel: 71 } },
  { at: 529, event: { type: 'keyOn', port: 4, chan: 1, pitch: 55, vel: 72 } },
  { at: 700, event: { type: 'note', port: 0, chan: 3, pitch: 72, vel: 80, dur: 120 } },
];
/**
 * Spacing kept: every event within this many ms of its place (a generous bound:
 * a loaded 2-core machine stalls whole processes for 20 ms now and then)…
 */
const PLACE_TOLERANCE_MS = 40;
/**
 * …and the typical gap within this many: what tells kept spacing from events
 * played when their packet arrives (up to G = 10 ms off).
 */
const MEDIAN_GAP_TOLERANCE_MS = 3;

describe('three msinet stations on one LAN', { skip: netns.ok ? false : netns.why, timeout: 120_000 }, () => {
  let lab: Lab;
  let dir: string;
  let A: Station;
  let B: Station;
  let C: Station;

  before(async () => {
    lab = await Lab.start({ hosts: ['a', 'b', 'c'], subnet: SUBNET });
    dir = mkdtempSync(join(tmpdir(), 'msinet-lan-'));
    [A, B, C] = await Promise.all([
      Station.start(lab, 'a', 'hostA', dir),
      Station.start(lab, 'b', 'hostB', dir),
      Station.start(lab, 'c', 'hostC', dir),
    ]);
  });
  afterEach(async () => {
    // Every test starts with three sleeping stations.
    await Promise.all([A, B, C].map((station) => station?.closeClients()));
    if (C && !C.driver.running) await C.restart();
  });
  after(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until `seer` logs `seen`'s client opening, at or after log line `from`. */
  const appears = (seer: Station, seen: Station, from: number, timeoutMs = 10_000) =>
    seer.logLine(
      new RegExp(`${seen.hostName} : connection complete \\[${seen.address.replace(/\./g, '\\.')}\\]`),
      timeoutMs,
      from,
    );
  const closes = (seer: Station, seen: Station, from: number, timeoutMs = 10_000) =>
    seer.logLine(new RegExp(`${seen.hostName} : connection closed \\((\\w+)\\)`), timeoutMs, from);

  test('discovery: two stations list each other within about a second of both waking', async (t) => {
    const [markA, markB] = [A.logMark, B.logMark];
    const [a, b] = await Promise.all([A.openDump(), B.openDump()]);
    const bothAwake = Math.max(a.awakeAt, b.awakeAt);
    const [aOnB, bOnA] = await Promise.all([appears(B, A, markB), appears(A, B, markA)]);
    const took = { 'hostB sees hostA': aOnB.at - bothAwake, 'hostA sees hostB': bOnA.at - bothAwake };
    t.diagnostic(
      `discovery after both woke: ${Object.entries(took)
        .map(([what, ms]) => `${what} in ${Math.round(ms)} ms`)
        .join(', ')} (woke ${Math.round(Math.abs(a.awakeAt - b.awakeAt))} ms apart)`,
    );
    for (const [what, ms] of Object.entries(took)) assert.ok(ms <= DISCOVERY_BOUND_MS, `${what}: ${ms} ms`);

    const listed = await B.clientList();
    const hostA = listed.find((c) => c.kind === 'remote');
    assert.equal(listed.filter((c) => c.kind === 'remote').length, 1, 'hostB lists hostA and not itself');
    assert.deepEqual(hostA && { name: hostA.name, address: hostA.address }, {
      name: 'hostA',
      address: A.address,
    });
    assert.equal(typeof hostA?.stats?.offset, 'number', 'a remote carries its statistics');
    assert.ok(!listed.some((c) => c.name === 'hostC'), 'sleeping hostC is not listed');
  });

  test('notes from A reach B and C in order, with their fields and their spacing', async (t) => {
    const marks = [A.logMark, B.logMark, C.logMark];
    const [onB, onC, onA] = await Promise.all([
      B.openDump(['--from', 'hostA']).then((o) => o.dump),
      C.openDump(['--from', 'hostA']).then((o) => o.dump),
      // What A's own clients saw, and when: the spacing the phrase really left with.
      A.openDump(['--from', 'fromA']).then((o) => o.dump),
    ]);
    await Promise.all([
      appears(B, A, marks[1] ?? 0),
      appears(C, A, marks[2] ?? 0),
      appears(A, B, marks[0] ?? 0),
      appears(A, C, marks[0] ?? 0),
    ]);

    const send = A.spawnMsinet(['send', '--name', 'fromA', '--to', 'hostB', '--json']);
    await connectWhenOpen(A, send, ['fromA', 'hostC']);
    const [first, ...rest] = PHRASE;
    assert.ok(first);
    send.writeLine(JSON.stringify(first.event));
    await deliveries(onA, 1); // send is reading its stdin now: the rest keeps its spacing
    const start = performance.now();
    for (const { at, event } of rest) {
      await sleep(at - (performance.now() - start));
      send.writeLine(JSON.stringify(event));
    }
    send.closeStdin();
    assert.equal((await send.exited).code, 0, send.tail());

    const [atA, atB, atC] = await Promise.all([
      deliveries(onA, PHRASE.length),
      deliveries(onB, PHRASE.length),
      deliveries(onC, PHRASE.length),
    ]);
    const sent = PHRASE.map(({ event }) => event);
    for (const [name, got] of [
      ['hostA (local)', atA],
      ['hostB', atB],
      ['hostC', atC],
    ] as const) {
      assert.deepEqual(got.map(fieldsOf), sent, `${name} gets every event in order with its fields`);
    }
    assert.ok(atB.every((d) => d.from === 'hostA') && atC.every((d) => d.from === 'hostA'));
    assert.ok(atA.every((d) => d.from === 'fromA'));

    const places = (got: Delivery[]) => got.map((d) => d.time - (got[0]?.time ?? 0));
    const gaps = (got: Delivery[]) => got.slice(1).map((d, i) => d.time - (got[i]?.time ?? 0));
    const round = (values: number[]) => values.map((ms) => ms.toFixed(1)).join(', ');
    t.diagnostic(`played at ${PHRASE.map((p) => p.at).join(', ')} ms; left A at ${round(places(atA))}`);
    const stats = (await B.clientList()).find((c) => c.name === 'hostA')?.stats;
    t.diagnostic(`hostB's statistics of hostA: ${JSON.stringify(stats)}`);
    const left = { places: places(atA), gaps: gaps(atA) };
    const measured = [atB, atC].map((got) => {
      const offPlace = places(got).map((ms, i) => Math.abs(ms - (left.places[i] ?? NaN)));
      const offGap = gaps(got).map((ms, i) => Math.abs(ms - (left.gaps[i] ?? NaN)));
      return { worstPlace: Math.max(...offPlace), medianGap: median(offGap), arrived: places(got) };
    });
    for (const [i, name] of ['hostB', 'hostC'].entries()) {
      const { arrived, worstPlace, medianGap } = measured[i] as (typeof measured)[number];
      t.diagnostic(
        `${name}: delivered at ${round(arrived)}; worst place ${worstPlace.toFixed(2)} ms off, median gap ${medianGap.toFixed(2)} ms off`,
      );
    }
    for (const [i, name] of ['hostB', 'hostC'].entries()) {
      const { worstPlace, medianGap } = measured[i] as (typeof measured)[number];
      assert.ok(
        worstPlace <= PLACE_TOLERANCE_MS,
        `${name}: every event within ${PLACE_TOLERANCE_MS} ms of its place`,
      );
      assert.ok(
        medianGap <= MEDIAN_GAP_TOLERANCE_MS,
        `${name}: gaps kept within ${MEDIAN_GAP_TOLERANCE_MS} ms`,
      );
    }
  });

  test('a sleeping station sends nothing and is listed nowhere; it appears when a client opens on it', async (t) => {
    const markB = B.logMark;
    await Promise.all([A.openDump(), B.openDump()]);
    await appears(B, A, markB);

    const sentBefore = (await snmpCounters(lab, 'c', 'Udp')).OutDatagrams;
    const watchFrom = performance.now();
    let looks = 0;
    while (performance.now() - watchFrom < 1_800) {
      const remotes = await B.remoteNames();
      assert.deepEqual(
        remotes,
        ['hostA'],
        `hostB lists only hostA (${Math.round(performance.now() - watchFrom)} ms)`,
      );
      looks += 1;
    }
    const watched = performance.now() - watchFrom;
    const sentDuring = ((await snmpCounters(lab, 'c', 'Udp')).OutDatagrams ?? NaN) - (sentBefore ?? NaN);
    t.diagnostic(
      `hostC asleep: ${looks} looks at hostB's clients over ${Math.round(watched)} ms, ${sentDuring} UDP datagrams out of c`,
    );
    assert.equal(sentDuring, 0, 'no HostID (no datagram at all) from a sleeping station');
    assert.deepEqual(B.logLinesSince(markB, /hostC/), []);
    assert.equal((await C.status()).awake, false);

    const markBeforeWake = B.logMark;
    const { awakeAt } = await C.openDump();
    const seen = await appears(B, C, markBeforeWake);
    t.diagnostic(`hostC listed on hostB ${Math.round(seen.at - awakeAt)} ms after it woke`);
    assert.ok(seen.at - awakeAt <= DISCOVERY_BOUND_MS);
    assert.deepEqual((await B.remoteNames()).sort(), ['hostA', 'hostC']);
  });

  test('a station whose last client closes says Bye and is gone at once, not after the timeout', async (t) => {
    const markB = B.logMark;
    const [, onC] = await Promise.all([B.openDump(), C.openDump()]);
    await appears(B, C, markB);

    const markC = C.logMark;
    const markGone = B.logMark;
    const closedAt = performance.now();
    onC.dump.child.kill('SIGINT'); // the dump is C's only client
    const [asleep, gone] = await Promise.all([
      C.logLine(/asleep: no local client/, 5_000, markC),
      closes(B, C, markGone),
    ]);
    t.diagnostic(
      `hostC gone from hostB ${Math.round(gone.at - asleep.at)} ms after hostC fell asleep ` +
        `(${Math.round(gone.at - closedAt)} ms after its client was told to quit), reason: ${gone.match[1]}`,
    );
    assert.equal(gone.match[1], 'bye');
    // The timeout would need 1 s from the last HostID, sent at most 100 ms before sleeping.
    assert.ok(gone.at - asleep.at < 500, `${gone.at - asleep.at} ms`);
    assert.deepEqual(await B.remoteNames(), []);
  });

  test('a killed station (SIGKILL, no Bye) is gone within 1.5 s', async (t) => {
    const markB = B.logMark;
    await Promise.all([B.openDump(), C.openDump()]);
    await appears(B, C, markB);

    const markGone = B.logMark;
    const killedAt = performance.now();
    await C.driver.kill('SIGKILL');
    const gone = await closes(B, C, markGone, 5_000);
    const took = gone.at - killedAt;
    t.diagnostic(`killed hostC gone from hostB after ${Math.round(took)} ms, reason: ${gone.match[1]}`);
    assert.equal(gone.match[1], 'timeout');
    assert.ok(took <= KILLED_BOUND_MS, `${took} ms`);
    assert.deepEqual(await B.remoteNames(), []);
  });

  test('10,000 garbage datagrams at B from c cost the A→B stream nothing, and B counts them', async (t) => {
    const [markA, markB] = [A.logMark, B.logMark];
    // A's own dump keeps A awake after the send ends, so hostB still lists hostA with its statistics.
    const [{ dump: onB }] = await Promise.all([B.openDump(['--from', 'hostA']), A.openDump()]);
    const send = A.spawnMsinet(['send', '--to', 'hostB', '--json']);
    await Promise.all([appears(B, A, markB), appears(A, B, markA)]);
    const problemsBefore = countsFrom(await B.status(), C.address);
    const udpBefore = await snmpCounters(lab, 'b', 'Udp');

    let written = 0;
    const writeNext = () => send.writeLine(JSON.stringify(streamEvent(written++)));
    writeNext();
    await deliveries(onB, 1); // A→B flows: now the flood
    const writer = setInterval(writeNext, 5);
    const garbage = lab.spawnTypeScript('c', 'test/netns/lan-garbage.ts', [
      B.address,
      String(PORT),
      '10000',
      '2000',
      '7',
    ]);
    const garbageExit = await garbage.exited;
    await sleep(300);
    clearInterval(writer);
    send.closeStdin();
    assert.equal(garbageExit.code, 0, garbage.tail());
    assert.equal((await send.exited).code, 0, send.tail());
    const sentLine = /^sent (\d+) (.*)$/.exec(garbage.stdoutLines[0] ?? '');
    assert.ok(sentLine, garbage.tail());
    const garbageSent = Number(sentLine[1]);
    assert.equal(garbageSent, 10_000);

    const got = await deliveries(onB, written);
    const [status, udpAfter] = await Promise.all([B.status(), snmpCounters(lab, 'b', 'Udp')]);
    const counted = countsFrom(status, C.address) - problemsBefore;
    const kernelDropped = (udpAfter.RcvbufErrors ?? 0) - (udpBefore.RcvbufErrors ?? 0);
    const logged = B.logLinesSince(markB, new RegExp(C.address.replace(/\./g, '\\.')));
    const stats = (await B.clientList()).find((c) => c.name === 'hostA')?.stats;
    t.diagnostic(
      `A sent ${written} events during the flood; c sent ${garbageSent} garbage datagrams ` +
        `${sentLine[2]}; hostB counted ${counted}, the kernel dropped ${kernelDropped}; ` +
        `${logged.length} log lines about them; hostB's stats of hostA ${JSON.stringify(stats)}`,
    );
    // Order is the next test's subject; here: each event arrived, once, intact.
    const arrived = got.map(({ event }) => streamIndex(event)).sort((x, y) => x - y);
    assert.deepEqual(
      arrived,
      Array.from({ length: written }, (_, i) => i),
      'every event A sent arrived once',
    );
    assert.deepEqual(
      got.map(fieldsOf).sort((x, y) => streamIndex(x) - streamIndex(y)),
      Array.from({ length: written }, (_, i) => streamEvent(i)),
      'with its fields',
    );
    assert.equal(onB.stdoutLines.length, written, 'and nothing else');
    assert.equal(stats?.missing, 0, 'no packet from hostA went missing');
    assert.ok(written > 100, `A kept streaming through the flood (${written} events)`);
    assert.equal(
      counted + kernelDropped,
      garbageSent,
      'every garbage datagram that reached hostB is counted',
    );
    assert.ok(logged.length <= 20, `logging is rate-limited (${logged.length} lines)`);
  });

  test('a dense stream from A arrives at B in the order A sent it', async (t) => {
    const markB = B.logMark;
    const [{ dump: onB }, { dump: onA }] = await Promise.all([
      B.openDump(['--from', 'hostA']),
      A.openDump(['--from', 'fromA']), // when each event left A
    ]);
    await appears(B, A, markB);
    const send = A.spawnMsinet(['send', '--name', 'fromA', '--to', 'hostB', '--json']);
    let written = 0;
    const writeNext = () => send.writeLine(JSON.stringify(streamEvent(written++)));
    writeNext();
    await deliveries(onB, 1);
    // Two events per 5 ms tick: some pairs leave A a fraction of a millisecond apart.
    const writer = setInterval(() => {
      writeNext();
      writeNext();
    }, 5);
    await sleep(2_000);
    clearInterval(writer);
    send.closeStdin();
    assert.equal((await send.exited).code, 0, send.tail());

    const [atB, atA] = await Promise.all([deliveries(onB, written), deliveries(onA, written)]);
    const orderB = atB.map(({ event }) => streamIndex(event));
    const orderA = atA.map(({ event }) => streamIndex(event));
    const swaps = orderB.flatMap((index, i) => (i > 0 && index < (orderB[i - 1] ?? 0) ? [i] : []));
    const stats = (await B.clientList()).find((c) => c.name === 'hostA')?.stats;
    const timeOf = (got: Delivery[], index: number) =>
      got.find((d) => streamIndex(d.event) === index)?.time ?? NaN;
    t.diagnostic(
      `${written} events; ${swaps.length} out of order at hostB: ` +
        swaps
          .slice(0, 5)
          .map((i) => {
            const [x, y] = [orderB[i - 1] ?? 0, orderB[i] ?? 0];
            const leftA = (timeOf(atA, x) - timeOf(atA, y)).toFixed(2);
            const earlier = (timeOf(atB, y) - timeOf(atB, x)).toFixed(2);
            return `#${x} delivered ${earlier} ms before #${y}, though it left A ${leftA} ms after it`;
          })
          .join('; ') +
        `; hostB's stats of hostA ${JSON.stringify(stats)}`,
    );
    assert.deepEqual(
      orderA,
      Array.from({ length: written }, (_, i) => i),
      'A dispatched them in order',
    );
    assert.deepEqual(orderB, orderA, 'hostB delivers them in the same order');
  });

  test('a 16 KB SysEx on port 255 from A arrives intact at B, over TCP', async (t) => {
    const markB = B.logMark;
    const { dump: onB } = await B.openDump(['--from', 'hostA']);
    const tcpBefore = await snmpCounters(lab, 'b', 'Tcp');
    const data = Array.from({ length: 16 * 1024 }, (_, i) => (i * 31 + 7) & 0x7f);
    const sysEx = { type: 'sysEx', port: 255, chan: 0, data };
    // send wakes A and waits for hostB to appear before it sends.
    const sentAt = performance.now();
    const sent = await A.msinet(['send', '--to', 'hostB', '--json'], { input: `${JSON.stringify(sysEx)}\n` });
    assert.equal(sent.code, 0, sent.stderr);
    const [got] = await deliveries(onB, 1);
    assert.ok(got);
    t.diagnostic(
      `16 KB SysEx delivered on hostB ${Math.round(performance.now() - sentAt)} ms after msinet send started`,
    );
    assert.deepEqual(fieldsOf(got), sysEx);
    const tcpAfter = await snmpCounters(lab, 'b', 'Tcp');
    assert.ok(
      (tcpAfter.PassiveOpens ?? 0) > (tcpBefore.PassiveOpens ?? 0),
      'hostB accepted a TCP connection',
    );
    assert.deepEqual(A.logLinesSince(0, /takes no TCP/), [], 'hostA did not fall back to UDP');
    assert.deepEqual(B.logLinesSince(markB, /bad TCP packet/), []);
  });
});

/** Connects `src` → `dst` on `station` as soon as `src` (opened by `client`) exists. */
async function connectWhenOpen(
  station: Station,
  client: LineProcess,
  [src, dst]: [string, string],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const result = await station.msinet(['connect', src, dst]);
    if (result.code === 0) return;
    if (!client.running || attempt >= 20) {
      throw new Error(`connect ${src} ${dst} failed: ${result.stderr}\n${client.tail()}`);
    }
  }
}

/** The i-th event of a long stream: unique fields, so a lost or reordered one shows. */
function streamEvent(i: number): Record<string, unknown> {
  return { type: 'ctrlChange', port: i % 4, chan: (i >> 2) % 16, ctrl: (i >> 6) % 120, value: i % 128 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/** Which `streamEvent` this is. */
function streamIndex(event: Record<string, unknown>): number {
  const { port, chan, ctrl } = event as { port: number; chan: number; ctrl: number };
  return ctrl * 64 + chan * 4 + port;
}

/** The problems a driver's status counts about `address`. */
function countsFrom(status: Record<string, unknown>, address: string): number {
  const problems = (status.problems ?? {}) as Record<string, number>;
  return Object.entries(problems)
    .filter(([kind]) => kind.includes(address))
    .reduce((sum, [, n]) => sum + n, 0);
}
