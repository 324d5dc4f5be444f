// Interoperability with the ORIGINAL msInetDriver v1.13 (shared/original-peer)
// on a two-host LAN: an msinet station (host a, named msA) and the original
// (host b, named origB) see each other, and every event kind the original's
// test client can make travels both ways with its fields and its spacing
// intact, port 255 included. msinet is driven and read only through its
// command line: `msinet dump --json`, `msinet send --json`, `msinet clients --json`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { canUseNetns, Lab, type RunResult } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import {
  buildOriginalPeer,
  originalPeerAvailable,
  parseRecvLine,
  startOriginal,
  parseRemoteLine,
  type OriginalPeer,
  type OriginalRemote,
} from '../harness/original-peer.js';
import { REPO_ROOT, tsNodeArgs } from '../harness/paths.js';
import { byPath, EVERY_KIND, heldOf, isPort255, SENDABLE_KINDS, withoutDate } from './original-events.js';

interface Dumped {
  time: number;
  from: string;
  event: Record<string, unknown>;
}

interface RemoteJson {
  ref: number;
  name: string;
  kind: string;
  address?: string;
  stats?: Record<string, number>;
}

/** Differences from the first: what "spacing" means here. */
const spacing = (times: readonly number[]): number[] => times.map((t) => t - (times[0] ?? 0));

/**
 * Spacing is kept when most events (`ON_TIME_SHARE`) lie within
 * `SPACING_TOLERANCE_MS` of where the sender's spacing puts them. A receiver
 * plans each event at its date + offset + G + maxLat, exact to the
 * millisecond, unless its packet came more than maxLat late: both drivers run
 * with -lat 100 so that the stalls of a loaded 2-core machine stay inside the
 * jitter budget (with 10 ms, and even 40, a packet now and then comes later).
 * But on such a machine a starved process still delivers (msinet), or sends
 * (msinet: it dates an event with the moment it leaves), or reads its clock
 * (the original's TIME reference) late now and then, so a few events may be
 * off: their offsets are measured from the median one. The tolerance is below
 * G = 10 ms: events timed by their packet rather than by their own dates fail.
 */
const SPACING_TOLERANCE_MS = 3;
const ON_TIME_SHARE = 0.75;

function assertSpacing(sent: readonly number[], received: readonly number[]): void {
  const lag = sent.map((s, i) => (received[i] ?? NaN) - s);
  const median = [...lag].sort((x, y) => x - y)[Math.floor(lag.length / 2)] ?? NaN;
  const onTime = lag.filter((l) => Math.abs(l - median) <= SPACING_TOLERANCE_MS).length;
  const shown = (times: readonly number[]) =>
    spacing(times)
      .map((t) => Math.round(t * 10) / 10)
      .join(' ');
  assert.ok(
    onTime >= Math.ceil(ON_TIME_SHARE * sent.length),
    `${onTime} of ${sent.length} on time; sent at ${shown(sent)} ms, received at ${shown(received)} ms`,
  );
}

const LATENCY_MS = '100';
const REMOTE_TIMEOUT_MS = 15_000;
/** How far ahead dated events are sent: more than `msinet send` takes to start on a loaded machine. */
const HOLD_MS = 5_000;

const netns = canUseNetns();
const originalSource = originalPeerAvailable();

describe('the fields this file expects', () => {
  test('are what an original printed when another original sent the same commands', () => {
    const capture = new URL('../fixtures/original-captures/lan.received.txt', import.meta.url);
    const printed = readFileSync(capture, 'utf8')
      .split('\n')
      .flatMap((l) => parseRecvLine(l) ?? []);
    // The capture's receiver dropped the port-255 stream (see docs/interop.md).
    assert.deepEqual(
      printed.map(heldOf),
      EVERY_KIND.filter((k) => !isPort255(k)).map((k) => k.held),
    );
  });
});

/**
 * One lab, one msinet driver and one original for the whole file, but each
 * test stands alone: it starts with `meet()`, which (re)starts whatever an
 * earlier test stopped (the dump that keeps msinet awake, the original) and
 * waits until each lists the other; and it reads only what came after it began.
 */
describe(
  'msinet and the original msInetDriver on one LAN',
  { skip: !netns.ok ? netns.why : !originalSource.ok ? originalSource.why : false },
  () => {
    let lab: Lab;
    let binary: string;
    let dir: string;
    let socket: string;
    let driver: LineProcess;
    let dump: LineProcess | undefined;
    let original: OriginalPeer | undefined;

    const msinet = (args: readonly string[], input?: string): Promise<RunResult> =>
      lab.run('a', process.execPath, tsNodeArgs('src/bin/msinet.ts', ['--socket', socket, ...args]), {
        cwd: REPO_ROOT,
        input,
        timeoutMs: 30_000,
        label: `msinet ${args[0] ?? ''}`,
      });

    const startDump = (): LineProcess =>
      lab.spawnTypeScript('a', 'src/bin/msinet.ts', ['--socket', socket, 'dump', '--json'], {
        label: 'msinet dump',
      });

    /** The running dump: meet() has started it. */
    const theDump = (): LineProcess => {
      assert.ok(dump?.running, 'msinet dump runs');
      return dump;
    };
    /** The running original: meet() has started it. */
    const theOriginal = (): OriginalPeer => {
      assert.ok(original?.process.running, 'the original runs');
      return original;
    };

    const dumped = (): Dumped[] =>
      theDump().stdoutLines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Dumped] : []));

    /** The first `count` events the dump printed from its `from`-th on that `accept` takes. */
    const waitForDumped = (count: number, accept: (d: Dumped) => boolean, from: number, timeoutMs = 10_000) =>
      theDump().waitUntil(
        () => {
          const found = dumped().slice(from).filter(accept);
          return found.length >= count ? found.slice(0, count) : undefined;
        },
        timeoutMs,
        `${count} matching events from msinet dump`,
      );

    const remotes = async (): Promise<RemoteJson[]> => {
      const listed = await msinet(['clients', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      return (JSON.parse(listed.stdout) as RemoteJson[]).filter((c) => c.kind === 'remote');
    };

    const waitForRemote = async (name: string): Promise<RemoteJson> => {
      const deadline = performance.now() + REMOTE_TIMEOUT_MS;
      for (;;) {
        const found = (await remotes()).find((c) => c.name === name);
        if (found) return found;
        if (performance.now() > deadline) assert.fail(`msinet never listed ${name} as a remote`);
        await sleep(200);
      }
    };

    /** The remote msA as the original has it open now (a remote that left is "gone"), if it has. */
    const msAOnOriginal = (peer: OriginalPeer): OriginalRemote | undefined => {
      let open: OriginalRemote | undefined;
      for (const line of peer.process.stdoutLines) {
        const opened = parseRemoteLine(line);
        if (opened?.name === 'msA') open = opened;
        else if (open && line === `REMOTE ref=${open.ref} gone`) open = undefined;
      }
      return open;
    };

    /**
     * Whatever an earlier test stopped is started again — the dump (msinet's
     * client: it keeps msinet awake), the original — and both have listed each
     * other: the original has msA open, msinet lists origB.
     */
    const meet = async (): Promise<{ opened: OriginalRemote; listed: RemoteJson }> => {
      if (!dump?.running) dump = startDump();
      if (!original?.process.running) {
        original = await startOriginal(lab, 'b', 'origB', ['-lat', LATENCY_MS], { binary });
      }
      const peer = original;
      const [opened, listed] = await Promise.all([
        peer.process.waitUntil(
          () => msAOnOriginal(peer),
          REMOTE_TIMEOUT_MS,
          'REMOTE msA connected both ways',
        ),
        waitForRemote('origB'),
      ]);
      return { opened, listed };
    };

    /** Resolves once the original has printed no RECV line for a while (at most a few seconds). */
    const originalQuiet = async (): Promise<void> => {
      const deadline = performance.now() + 5_000;
      let count = -1;
      while (count !== theOriginal().received().length && performance.now() < deadline) {
        count = theOriginal().received().length;
        await sleep(300);
      }
    };

    const sendJson = (events: readonly Record<string, unknown>[]): Promise<RunResult> =>
      msinet(['send', '--to', 'origB', '--json'], events.map((e) => `${JSON.stringify(e)}\n`).join(''));

    before(async () => {
      binary = await buildOriginalPeer(); // before any namespace: it may apt-get a compiler
      lab = await Lab.start({ hosts: ['a', 'b'], subnet: '10.81.0' });
      dir = mkdtempSync(join(tmpdir(), 'msinet-interop-'));
      socket = join(dir, 'driver.sock');
      // --linger 0: one test watches msinet fall asleep (Bye) when its last client goes.
      const args = ['--socket', socket, '-lat', LATENCY_MS, '--linger', '0'];
      driver = lab.spawnTypeScript('a', 'src/bin/msInetDriver.ts', args, {
        hostname: 'msA',
        label: 'msinet driver',
      });
      await driver.waitForLine(/local clients: /, 20_000, { stream: 'stderr' });
    });
    after(async () => {
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('they see each other: the original opens msA, msinet lists origB with its address', async () => {
      const logFrom = driver.stderrLines.length;
      const { opened, listed } = await meet();
      assert.ok(opened.ref > 0);
      assert.equal(listed.address, lab.address('b'));
      const complete = `origB : connection complete [${lab.address('b')}]`;
      // Logged when this meeting began, or at an earlier one that still holds.
      assert.ok(
        driver.stderrLines.some((l) => l.includes(complete)),
        `msinet logs "${complete}" (${driver.stderrLines.length - logFrom} lines since this test began)`,
      );
    });

    /** The original plays every kind; resolves with what msinet's dump printed of them. */
    const everyKindFromOriginal = async (): Promise<Dumped[]> => {
      const from = dumped().length;
      for (const k of EVERY_KIND) theOriginal().command(k.command);
      return waitForDumped(EVERY_KIND.length, () => true, from);
    };

    test('every kind of event the original sends arrives at msinet with its fields', async () => {
      await meet();
      const got = await everyKindFromOriginal();
      assert.ok(got.every((d) => d.from === 'origB' && d.time === d.event['date']));
      assert.deepEqual(
        byPath(got.map((d) => withoutDate(d.event) as { port: unknown })),
        byPath(EVERY_KIND.map((k) => k.event as { port: unknown })),
      );
    });

    test('events the original sends apart arrive at msinet just as far apart', async () => {
      await meet();
      const peer = theOriginal();
      // Pairs: the second of each comes 5–8 ms after the first, in the same packet, kept apart only by its relative date.
      const pairs = [
        [0, 5],
        [137, 8],
        [251, 6],
        [89, 7],
        [180, 5],
        [60, 8],
        [230, 6],
        [120, 7],
      ];
      const gaps = pairs.flat();
      const from = peer.process.stdoutLines.length;
      const dumpFrom = dumped().length;
      for (const [i, gap] of gaps.entries()) {
        await sleep(gap);
        peer.on(90 + i, 100, 11);
        peer.command('time'); // the original's clock just after its MidiSendIm
      }
      const sentAt = await peer.process.waitUntil(
        () => {
          const times = peer.process.stdoutLines
            .slice(from)
            .flatMap((l) => /^TIME (\d+)$/.exec(l)?.[1] ?? []);
          return times.length >= gaps.length ? times.map(Number) : undefined;
        },
        5_000,
        `${gaps.length} TIME lines`,
      );
      const got = await waitForDumped(
        gaps.length,
        (d) => d.event['chan'] === 11 && d.event['type'] === 'keyOn',
        dumpFrom,
      );
      assert.deepEqual(
        got.map((d) => d.event['pitch']),
        gaps.map((_, i) => 90 + i),
      );
      assertSpacing(
        sentAt,
        got.map((d) => d.time),
      );
    });

    test('every kind of event msinet sends arrives at the original with its fields', async () => {
      await meet();
      const from = theOriginal().received().length;
      const sent = await sendJson(SENDABLE_KINDS.map((k) => k.event));
      assert.equal(sent.code, 0, sent.stderr);
      await theOriginal().waitForEvents(from + SENDABLE_KINDS.length, 10_000);
      const got = theOriginal().received().slice(from).map(heldOf);
      assert.deepEqual(byPath(got), byPath(SENDABLE_KINDS.map((k) => k.held)));
    });

    test('events msinet sends apart (dated) arrive at the original just as far apart', async () => {
      await meet();
      const peer = theOriginal();
      // The driver's clock, read from a delivery just now: dates a few seconds ahead hold the events until then.
      const dumpFrom = dumped().length;
      peer.ev(15, 14, 0); // activeSens on channel 14
      const [fresh] = await waitForDumped(1, (d) => d.event['chan'] === 14, dumpFrom);
      assert.ok(fresh);
      const offsets = [0, 3, 7, 137, 388, 391, 477, 517];
      const base = Math.round(fresh.time + HOLD_MS);
      const events = offsets.map((offset, i) => ({
        type: 'keyOn',
        chan: 12,
        pitch: 80 + i,
        vel: 90,
        date: base + offset,
      }));
      const from = peer.received().length;
      const sent = await sendJson(events);
      assert.equal(sent.code, 0, sent.stderr);
      const got = await peer.process.waitUntil(
        () => {
          const found = peer
            .received()
            .slice(from)
            .filter((e) => e.type === 1 && e.chan === 12);
          return found.length >= offsets.length ? found.slice(0, offsets.length) : undefined;
        },
        10_000,
        `${offsets.length} keyOns on channel 12`,
      );
      assert.deepEqual(
        got.map((e) => e.fields),
        events.map((e) => [e.pitch, e.vel]),
      );
      assertSpacing(offsets, spacing(got.map((e) => e.date)));
    });

    test('port 255 from msinet to the original rides its UDP stream (it announces no TCP), said when it opens, and arrives', async () => {
      await meet();
      const note = { type: 'note', port: 255, chan: 3, pitch: 66, vel: 70, dur: 120 };
      const from = theOriginal().received().length;
      const logFrom = driver.stderrLines.length;
      const sent = await sendJson([note]);
      assert.equal(sent.code, 0, sent.stderr);
      const got = await theOriginal().process.waitUntil(
        () =>
          theOriginal()
            .received()
            .slice(from)
            .find((e) => e.port === 255 && e.chan === 3),
        10_000,
        'the port-255 note',
      );
      assert.deepEqual(heldOf(got), { type: 0, port: 255, chan: 3, fields: [66, 70, 120] });
      // Said once each time origB opened, in this test or an earlier one.
      const said = driver.stderrLines.filter((l) =>
        l.endsWith('] origB : a version-1 station: port 255 rides its UDP stream'),
      );
      assert.ok(
        said.length >= 1,
        `said when origB opened (${driver.stderrLines.length - logFrom} lines since this test began)`,
      );
    });

    test('port 255 from the original (its broadcast stream) arrives, and neither stream disturbs the other', async () => {
      await meet();
      const before = (await remotes()).find((r) => r.name === 'origB')?.stats;
      const from = dumped().length;
      for (let i = 0; i < 3; i++) {
        theOriginal().note(70 + i, 80, 100, 4, 255);
        theOriginal().note(70 + i, 80, 100, 4, 0);
        await sleep(30);
      }
      const got = (await waitForDumped(6, () => true, from)).map((d) => withoutDate(d.event));
      const notes = (port: number) => got.filter((e) => e['port'] === port).map((e) => e['pitch']);
      assert.deepEqual(notes(255), [70, 71, 72]);
      assert.deepEqual(notes(0), [70, 71, 72]);
      const origB = (await remotes()).find((r) => r.name === 'origB');
      assert.ok(origB?.stats && before, 'msinet clients --json gives origB its statistics');
      assert.equal(origB.stats['missing'], before['missing'], 'no packet counted missing');
      assert.equal(origB.stats['duplicates'], before['duplicates'], 'no packet counted as a duplicate');
    });

    test('what msinet dump printed from the original, msinet send takes back: the original gets what it sent', async () => {
      await meet();
      const printed = (await everyKindFromOriginal()).map((d) => withoutDate(d.event));
      const from = theOriginal().received().length;
      const sent = await sendJson(printed);
      await originalQuiet(); // what was sent has arrived, even if some was refused
      assert.equal(sent.code, 0, sent.stderr);
      const got = theOriginal().received().slice(from).map(heldOf);
      assert.deepEqual(byPath(got), byPath(EVERY_KIND.map((k) => k.held)));
    });

    test('a burst from the original too big for one packet arrives at msinet in order', async () => {
      await meet();
      // 200 controller changes of 9 bytes each: more than the 1468 event bytes of one LAN packet.
      const burst = Array.from({ length: 200 }, (_, i) => ({ ctrl: i % 100, value: Math.floor(i / 100) }));
      const from = dumped().length;
      for (const { ctrl, value } of burst) theOriginal().ctrl(ctrl, value, 13);
      const got = await waitForDumped(burst.length, (d) => d.event['chan'] === 13, from);
      assert.deepEqual(
        got.map((d) => ({ ctrl: d.event['ctrl'], value: d.event['value'] })),
        burst,
      );
    });

    test('msinet going to sleep says Bye: the original drops msA; on waking they meet again', async () => {
      const { opened } = await meet();
      const peer = theOriginal();
      const logFrom = driver.stderrLines.length;
      await theDump().kill('SIGTERM'); // the last local client: the driver sleeps
      await peer.waitForRemoteGone(opened.ref, 5_000);
      await driver.waitForLine(/asleep: no local client/, 5_000, { stream: 'stderr', from: logFrom });
      const seenBefore = peer.remotes().length;
      dump = startDump();
      await peer.process.waitUntil(
        () => (peer.remotes().length > seenBefore ? true : undefined),
        REMOTE_TIMEOUT_MS,
        'msA opened again',
      );
      await waitForRemote('origB');
    });

    test('the original quitting says Bye: msinet drops origB at once, not by timeout', async () => {
      await meet();
      const logFrom = driver.stderrLines.length;
      await theOriginal().quit();
      const closed = await driver.waitForLine(/origB : connection closed \((\w+)\)/, 5_000, {
        stream: 'stderr',
        from: logFrom,
      });
      assert.equal(closed.match[1], 'bye');
      assert.equal(
        (await remotes()).find((r) => r.name === 'origB'),
        undefined,
      );
    });
  },
);
