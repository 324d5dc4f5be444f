// Interoperability with the ORIGINAL msInetDriver v1.13 (shared/original-peer)
// in WAN mode, in both roles: an original client of an msinet server, and an
// msinet client of an original server. msinet runs as the built CLI and is
// read only through `msinet`; the original through its test client (RECV and
// REMOTE lines) and its log. The original names a WAN peer by its address
// (no reverse DNS in the lab), msinet by the host name its HostIDs carry.
// Every test starts its own stations: none depends on another. Times go out
// as diagnostics, each saying whether the original ran natively (its i386
// build on a kernel that runs it) or emulated (qemu-i386, as CI may run it).
import { after, afterEach, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt } from '../harness/built.js';
import { canUseNetns, canUseNft, Lab } from '../harness/lab.js';
import {
  buildOriginalPeer,
  originalPeerAvailable,
  parseRecvLine,
  startOriginal,
  type OriginalEvent,
  type OriginalPeer,
} from '../harness/original-peer.js';
import { ORIGINAL_PEER_DIR } from '../harness/paths.js';
import { byPath, EVERY_KIND, heldOf, SENDABLE_KINDS, withoutDate } from './original-events.js';
import { dropUdpPercent } from './wan-lab.js';
import {
  deliveries,
  escape,
  originalRuns,
  parsed,
  sleep,
  WanStation,
  type Delivery,
} from './wan-stations.js';

const netns = canUseNetns();
const nft = canUseNft();
const originalSource = originalPeerAvailable();
const SUBNET = '10.91.0';
/** -g 10 -lat 100 on both: a small delay, a jitter budget a loaded machine's stalls stay inside. */
const TIMING = ['-g', '10', '-lat', '100'];
/**
 * The original opens a remote after 22 HostIDs with -lat > 10 (about 2.1 s at
 * 100 ms); msinet's lock is quicker. Room for a loaded machine (and for qemu).
 */
const COMPLETE_TIMEOUT_MS = 20_000;
/**
 * The original opens msinet after 22 of its HostIDs, 100 ms apart (about 2 s native here), well
 * before its 10 s completion timeout would drop the link; room for qemu and a loaded machine.
 */
const ORIGINAL_OPENS_WITHIN_MS = 9_000;
/** How long the tests watch for something that must not happen (a retry, a death, an event over UDP). */
const WATCH_MS = 3_000;

type Role = 'msinet server, original client' | 'original server, msinet client';
const ROLES: readonly Role[] = ['msinet server, original client', 'original server, msinet client'];

interface Pair {
  ms: WanStation;
  orig: OriginalPeer;
  /** What msinet calls the original (its HostID name). */
  origName: string;
  /** What the original calls msinet (its address). */
  msName: string;
  /** From the start of the second station until each side opened the other, ms. */
  msOpenedAfter: number;
  origOpenedAfter: number;
}

/**
 * SysEx in the burst to the original: long enough that, unpaced, the original
 * loses some (it did in every run), short enough (about 370 ms paced) that a
 * native original's reader keeps up; bursts of seconds lose a packet now and
 * then even paced, on a loaded machine (the figures are in wan-station.ts).
 */
const BURST_SYSEX = 40;
/** A SysEx the original's client prints whole (its line holds about 970 one-digit fields). */
const printableSysEx = (i: number, size: number) => ({
  type: 'sysEx',
  port: 255,
  chan: 0,
  data: Array.from({ length: size }, (_, j) => (i * 7 + j) % 10),
});

describe(
  'msinet and the original msInetDriver v1.13 in WAN mode',
  {
    // A fresh clone without ../shared skips with the reason; under CI a skip fails the run.
    skip: !netns.ok ? netns.why : !nft.ok ? nft.why : !originalSource.ok ? originalSource.why : false,
    timeout: 15 * 60_000,
  },
  () => {
    let lab: Lab;
    let binary: string;
    let dir: string;
    const started: WanStation[] = [];
    const originals: OriginalPeer[] = [];

    before(async () => {
      binary = await buildOriginalPeer(); // before any namespace: it may apt-get a compiler
      assertBuilt();
      lab = await Lab.start({ hosts: ['s', 'a', 'b'], subnet: SUBNET });
      dir = mkdtempSync(join(tmpdir(), 'msinet-interop-wan-'));
    });
    afterEach(async () => {
      await lab.reset();
      for (const host of lab.hosts) await dropUdpPercent(lab, host, 0);
    });
    after(async () => {
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A test whose failure says what its stations logged. */
    const wanTest = (name: string, body: (t: TestContext) => Promise<void>) =>
      test(name, async (t) => {
        started.length = 0;
        originals.length = 0;
        try {
          await body(t);
        } catch (error) {
          for (const station of started) {
            for (const line of station.driver.stderrLines.slice(-30))
              t.diagnostic(`${station.hostName}| ${line}`);
          }
          for (const orig of originals) {
            const lines = orig.process.stdoutLines.filter((l) => !l.startsWith('RECV')).slice(-30);
            for (const line of [...lines, ...orig.process.stderrLines.slice(-10)])
              t.diagnostic(`${orig.hostname}| ${line}`);
          }
          throw error;
        }
      });

    const msinet = async (host: string, name: string, args: string[]) => {
      const station = await WanStation.start(lab, host, name, dir, [...TIMING, ...args]);
      started.push(station);
      return station;
    };
    const original = async (host: string, name: string, args: string[]) => {
      const peer = await startOriginal(lab, host, name, [...TIMING, ...args], { binary });
      originals.push(peer);
      return peer;
    };

    /** The two stations of `role` on s (server) and a (client), each open on the other. */
    async function pair(role: Role): Promise<Pair> {
      const server = lab.address('s');
      if (role === 'msinet server, original client') {
        const ms = await msinet('s', 'msS', ['-s']);
        const start = performance.now();
        const orig = await original('a', 'origA', ['-s', server]);
        const [origOpened, msOpened] = await Promise.all([
          orig.waitForRemote(server, COMPLETE_TIMEOUT_MS).then(() => performance.now()),
          ms.complete('origA', 0, COMPLETE_TIMEOUT_MS).then(() => performance.now()),
        ]);
        return {
          ms,
          orig,
          origName: 'origA',
          msName: server,
          msOpenedAfter: msOpened - start,
          origOpenedAfter: origOpened - start,
        };
      }
      const orig = await original('s', 'origS', ['-s']);
      const start = performance.now();
      const ms = await msinet('a', 'msA', ['-s', server]);
      const [origOpened, msOpened] = await Promise.all([
        orig.waitForRemote(lab.address('a'), COMPLETE_TIMEOUT_MS).then(() => performance.now()),
        ms.complete('origS', 0, COMPLETE_TIMEOUT_MS).then(() => performance.now()),
      ]);
      return {
        ms,
        orig,
        origName: 'origS',
        msName: lab.address('a'),
        msOpenedAfter: msOpened - start,
        origOpenedAfter: origOpened - start,
      };
    }

    const sendJson = (station: WanStation, to: string, events: readonly Record<string, unknown>[]) =>
      station.msinet(['send', '--to', to, '--json'], {
        input: events.map((e) => `${JSON.stringify(e)}\n`).join(''),
        timeoutMs: 60_000,
      });

    const capture = join(ORIGINAL_PEER_DIR, 'captures', 'wan.received.txt');
    test(
      'the expected fields are what an original printed when another original sent the same commands in WAN mode',
      { skip: existsSync(capture) ? false : `no capture at ${capture}` },
      () => {
        const printed = readFileSync(capture, 'utf8')
          .split('\n')
          .flatMap((l) => parseRecvLine(l) ?? []);
        // In WAN all 34 arrived, port 255 too (it rides the TCP link); it is a stream of its own.
        assert.deepEqual(byPath(printed.map(heldOf)), byPath(EVERY_KIND.map((k) => k.held)));
      },
    );

    for (const role of ROLES) {
      wanTest(`${role}: each opens the other, named as each names peers`, async (t) => {
        const { ms, orig, origName, msName, msOpenedAfter, origOpenedAfter } = await pair(role);
        t.diagnostic(
          `${role}: msinet opened ${origName} ${Math.round(msOpenedAfter)} ms, the original opened ${msName} ` +
            `${Math.round(origOpenedAfter)} ms after the second station started (the original ${originalRuns(orig.process)})`,
        );
        const listed = (await ms.remotes()).find((r) => r.name === origName);
        assert.ok(listed, `msinet lists ${origName}`);
        assert.equal(listed.address, orig.host === 's' ? lab.address('s') : lab.address('a'));
        assert.ok(
          orig.process.stdoutLines.some((l) =>
            new RegExp(`\\] ${escape(msName)} : connection complete \\[${escape(msName)}\\]\\.$`).test(l),
          ),
          `the original logs "${msName} : connection complete [${msName}]."`,
        );
        assert.ok(
          origOpenedAfter <= ORIGINAL_OPENS_WITHIN_MS,
          `the original opened msinet after ${origOpenedAfter} ms`,
        );
      });

      wanTest(`${role}: every kind of event, both ways, with its fields`, async () => {
        const { ms, orig, origName } = await pair(role);
        const dump = await ms.openDump('dump', ['--from', origName]);
        for (const k of EVERY_KIND) orig.command(k.command);
        const got = await deliveries(dump, EVERY_KIND.length, 15_000);
        assert.ok(got.every((d) => d.from === origName));
        assert.deepEqual(
          byPath(got.map((d) => withoutDate(d.event) as { port: unknown })),
          byPath(EVERY_KIND.map((k) => k.event as { port: unknown })),
          'original → msinet',
        );

        const sent = await sendJson(
          ms,
          origName,
          SENDABLE_KINDS.map((k) => k.event),
        );
        assert.equal(sent.code, 0, sent.stderr);
        const held = await orig.waitForEvents(SENDABLE_KINDS.length, 15_000);
        assert.deepEqual(
          byPath(held.map(heldOf)),
          byPath(SENDABLE_KINDS.map((k) => k.held)),
          'msinet → original',
        );
      });

      wanTest(
        `${role}: port 255 rides the TCP link both ways (with all UDP dropped, it still arrives)`,
        async () => {
          const { ms, orig, origName } = await pair(role);
          const dump = await ms.openDump('dump', ['--from', origName]);
          // From now on no datagram reaches either host; msinet drops a silent peer after 6 s, so be quick.
          await Promise.all([dropUdpPercent(lab, 's', 100), dropUdpPercent(lab, 'a', 100)]);
          orig.note(70, 80, 100, 3, 255);
          orig.note(71, 80, 100, 3, 0);
          const sent = await sendJson(ms, origName, [
            { type: 'note', port: 255, chan: 4, pitch: 72, vel: 60, dur: 100 },
            { type: 'note', port: 0, chan: 4, pitch: 73, vel: 60, dur: 100 },
          ]);
          assert.equal(sent.code, 0, sent.stderr);
          const [fromOrig] = await deliveries(dump, 1, 5_000);
          const [fromMs] = await orig.waitForEvents(1, 5_000);
          await sleep(1_000); // time enough for the port-0 notes, had they a way through
          await Promise.all([dropUdpPercent(lab, 's', 0), dropUdpPercent(lab, 'a', 0)]);
          assert.deepEqual(fromOrig && withoutDate(fromOrig.event), {
            type: 'note',
            port: 255,
            chan: 3,
            pitch: 70,
            vel: 80,
            dur: 100,
          });
          assert.deepEqual(fromMs && heldOf(fromMs), { type: 0, port: 255, chan: 4, fields: [72, 60, 100] });
          assert.equal(parsed(dump).length, 1, 'the port-0 note (UDP) did not arrive at msinet');
          assert.equal(orig.received().length, 1, 'the port-0 note (UDP) did not arrive at the original');
        },
      );

      wanTest(
        `${role}: bursts of port-255 SysEx arrive whole both ways (msinet paces its writes to an original)`,
        async (t) => {
          const { ms, orig, origName } = await pair(role);
          const dump = await ms.openDump('dump', ['--from', origName]);
          // msinet → original: 40 SysEx of 400 bytes and a note after each, in one go: about 37 TCP
          // packets, which unpaced reach the original together and get lost (docs/protocol.md, WAN).
          const messages = Array.from({ length: BURST_SYSEX }, (_, i) => printableSysEx(i, 400));
          const notes = messages.map((_, i) => ({
            type: 'note',
            port: 255,
            chan: 1,
            pitch: i,
            vel: 1,
            dur: 10,
          }));
          const startedAt = performance.now();
          const sent = await sendJson(
            ms,
            origName,
            messages.flatMap((m, i) => [m, notes[i] as Record<string, unknown>]),
          );
          assert.equal(sent.code, 0, sent.stderr);
          const got = await orig.waitForEvents(2 * BURST_SYSEX, 30_000);
          const took = performance.now() - startedAt;
          await sleep(500); // anything more (a phantom event parsed from a merged read) would come now
          const all = orig.received();
          // original → msinet: 100 SysEx of 61 bytes (its test client takes 64 numbers a line) on port
          // 255, in about 15 TCP packets that its sender writes back to back (Nagle on: some merge).
          const burst = Array.from({ length: 100 }, (_, i) => printableSysEx(100 + i, 61));
          for (const m of burst) orig.ev(17, 0, 255, m.data);
          const back = await deliveries(dump, burst.length, 15_000);
          t.diagnostic(
            `msinet → original: ${messages.length} SysEx of 400 B + ${notes.length} notes in ${Math.round(took)} ms ` +
              `(msinet send started → the original's last RECV; the original ${originalRuns(orig.process)}); the original printed ${all.length} events`,
          );
          assert.deepEqual(
            all.map(heldOf),
            messages.flatMap((m, i) => [
              { type: 17, port: 255, chan: 0, fields: m.data },
              { type: 0, port: 255, chan: 1, fields: [i, 1, 10] },
            ]),
            'every SysEx whole and every note, in order, and nothing else',
          );
          assert.equal(got.length, 2 * BURST_SYSEX);
          assert.deepEqual(
            back.map((d: Delivery) => withoutDate(d.event)),
            burst,
            'original → msinet: every SysEx whole, in order',
          );
        },
      );

      wanTest(
        `${role}: leaving says TCPBye both ways; msinet quitting leaves the original running`,
        async (t) => {
          const { ms, orig, origName, msName } = await pair(role);
          const before = (await ms.remotes()).find((r) => r.name === origName);
          const [remote] = orig.remotes();
          assert.ok(before && remote);
          const from = orig.process.stdoutLines.length;
          await ms.driver.kill('SIGTERM');
          const report = await orig.process.waitForLine(
            new RegExp(
              `^ +${escape(msName)} : remote connection report: v:100 maxLat:100 over:(\\d+) missing:(\\d+)$`,
            ),
            5_000,
            { from },
          );
          await orig.process.waitForLine(new RegExp(`\\] ${escape(msName)} : connection closed\\.$`), 5_000, {
            from,
          });
          await orig.waitForRemoteGone(remote.ref, 5_000);
          await sleep(WATCH_MS); // msinet's close waits 2 s for the original's FIN, which never comes; then it ends
          t.diagnostic(`the original, after msinet quit: "${report.line.trim()}"`);
          assert.equal(orig.process.running, true, 'the original lives on (no reset: no SIGPIPE)');
        },
      );

      wanTest(
        `${role}: the original quitting says TCPBye: msinet reports it and closes at once`,
        async (t) => {
          const { ms, orig, origName } = await pair(role);
          const from = ms.logMark;
          assert.equal((await orig.quit()).code, 0);
          const report = await ms.logLine(
            / : remote connection report: v:100 maxLat:100 over:\d+ missing:\d+$/,
            5_000,
            from,
          );
          const closed = await ms.logLine(
            new RegExp(`\\] ${escape(origName)} : connection closed \\((\\w+)\\)$`),
            5_000,
            from,
          );
          t.diagnostic(`msinet: "${report.line}"`);
          assert.equal(closed.match[1], 'bye');
          assert.deepEqual(await ms.remotes(), []);
        },
      );

      wanTest(
        `${role}: msinet drops a silent original after 6 s with a TCPBye, and the original lives on`,
        async (t) => {
          const { ms, orig, origName, msName } = await pair(role);
          const from = ms.logMark;
          const fromOrig = orig.process.stdoutLines.length;
          await dropUdpPercent(lab, ms.host, 100); // msinet hears no HostID any more
          const cutAt = performance.now();
          const dropped = await ms.logLine(/ : dropping the link \(timeout\)$/, 15_000, from);
          await orig.process.waitForLine(
            new RegExp(`^ +${escape(msName)} : remote connection report: v:100 maxLat:100`),
            5_000,
            { from: fromOrig },
          );
          await dropUdpPercent(lab, ms.host, 0);
          await sleep(WATCH_MS);
          t.diagnostic(
            `msinet dropped ${origName} ${Math.round(dropped.at - cutAt)} ms after its UDP was cut; the original got the TCPBye`,
          );
          assert.equal(orig.process.running, true, 'the original lives on (no reset: no SIGPIPE)');
          if (role === 'original server, msinet client') {
            // msinet dials its listed host again; the original server takes it: the pair is back.
            await ms.complete(origName, from, COMPLETE_TIMEOUT_MS);
            await orig.process.waitForLine(
              new RegExp(`\\] ${escape(msName)} : connection complete`),
              COMPLETE_TIMEOUT_MS,
              { from: fromOrig },
            );
          } else {
            // An original client never dials again.
            assert.deepEqual(await ms.remotes(), []);
          }
        },
      );
    }

    wanTest(
      'an original server with -m 1 refuses a second msinet client (reason 1): msinet says so and dials again with backoff; the first client streams on',
      async (t) => {
        const orig = await original('s', 'origS', ['-s', '-m', '1']);
        const first = await msinet('b', 'msB', ['-s', lab.address('s')]);
        await first.complete('origS', 0, COMPLETE_TIMEOUT_MS);
        await orig.waitForRemote(lab.address('b'), COMPLETE_TIMEOUT_MS);
        const second = await msinet('a', 'msA', ['-s', lab.address('s')]);
        const said = await second.logLine(
          / : refused the connection: too many clients \(reason 1\)$/,
          10_000,
        );
        const refused = await orig.process.waitForLine(
          new RegExp(`\\] ${escape(lab.address('a'))} : connection refused: too much clients\\.$`),
          5_000,
        );
        await sleep(WATCH_MS);
        const refusals = second.logLinesSince(0, /refused the connection/).length;
        // The first client is still served: its events reach the original.
        const sent = await sendJson(first, 'origS', [{ type: 'keyOn', chan: 2, pitch: 64, vel: 90 }]);
        assert.equal(sent.code, 0, sent.stderr);
        const [event] = await orig.waitForEvents(1, 5_000);
        t.diagnostic(
          `msinet: "${said.line}"; the original: "${refused.line}"; msinet refused ${refusals} times in ` +
            `${WATCH_MS / 1000 + 1} s or so`,
        );
        assert.deepEqual(event && heldOf(event as OriginalEvent), {
          type: 1,
          port: 0,
          chan: 2,
          fields: [64, 90],
        });
        assert.ok(refusals >= 2, 'msinet dials again (with backoff) and is refused again');
        assert.deepEqual(await second.remotes(), []);
        assert.equal(orig.process.running, true, 'the original lives on');
      },
    );

    wanTest(
      'an msinet server with -m 1 refuses an original client (reason 1): the original logs nothing, stops its HostIDs and never tries again',
      async (t) => {
        const ms = await msinet('s', 'msS', ['-s', '-m', '1']);
        await msinet('b', 'msB', ['-s', lab.address('s')]);
        await ms.complete('msB', 0, COMPLETE_TIMEOUT_MS);
        const from = ms.logMark;
        const orig = await original('a', 'origA', ['-s', lab.address('s')]);
        const refused = await ms.logLine(/ : connection refused: too many clients \(-m 1\)$/, 10_000, from);
        const noLink = () =>
          ms
            .status()
            .then((s) => (s['problems'] as Record<string, number>)['UDP from an address with no link'] ?? 0);
        await sleep(1_000);
        const strayThen = await noLink();
        await sleep(WATCH_MS);
        const strayNow = await noLink();
        const logged = orig.process.stdoutLines.filter((l) => !l.startsWith('RECV'));
        t.diagnostic(
          `msinet: "${refused.line}"; the original's last lines: ${JSON.stringify(logged.slice(-3))}; ` +
            `its HostIDs counted by msinet as from no link: ${strayThen} after 1 s, ${strayNow} ${WATCH_MS} ms later`,
        );
        assert.equal(
          ms.logLinesSince(from, /connection refused/).length,
          1,
          'the original never connects again',
        );
        assert.equal(strayNow, strayThen, 'the original sends no more HostIDs');
        assert.deepEqual(orig.remotes(), [], 'the original opens nothing');
        assert.ok(
          !logged.some((l) => /refused|cannot connect|connection (complete|closed)/.test(l)),
          'the original logs nothing of the refusal',
        );
        assert.equal(orig.process.running, true, 'the original lives on');
        assert.deepEqual(
          (await ms.remotes()).map((r) => r.name),
          ['msB'],
        );
      },
    );
  },
);
