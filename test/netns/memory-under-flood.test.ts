// SPEC §10, memory stays bounded: a real msInetDriver on host a, awake, takes
// a 60 s flood of hostile LAN traffic from host b (test/netns/hostile-flood.ts:
// 300 fake stations, valid events held up to 1 s, cut events, serial chaos,
// restarts, Echos, garbage). Its resident memory (VmRSS in
// /proc/PID/status) is sampled every second.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canUseNetns, Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT } from '../harness/paths.js';
import { findProcess, sampleRss, showRss, type RssSample } from '../harness/rss.js';
import { Station } from './lan-stations.js';

const FLOOD_MS = 60_000;
const PER_SECOND = 1_500;
/**
 * The bounds. What the flood makes a driver hold has a level it reaches in
 * seconds: stations go 1 s after their last HostID and a driver admits 256;
 * events are held until due, within a grouping period or -lat; a parser holds
 * one unfinished event per stream. So the highest RSS of 35–60 s may exceed
 * that of 10–35 s by no more than GC noise (V8 lets its heap float by some
 * MiB between collections; measured: −1.4 and +1 MiB): 16 MiB, where a leak
 * of 600 bytes a datagram (less than most datagrams' own size) adds 21 MiB in
 * 25 s (a driver that keeps each decoded datagram: +32). And the whole flood
 * may not take the driver more than 200 MiB above where it started (measured:
 * +39, +42): room for a loaded machine's slow GC, not for a leak. High-water
 * marks, not single samples: a collection may drop RSS for a moment.
 */
const LATE_GROWTH_MIB = 16;
const TOTAL_GROWTH_MIB = 200;

const netns = canUseNetns();

describe(
  'memory under a flood of hostile datagrams',
  { skip: netns.ok ? false : netns.why, timeout: 180_000 },
  () => {
    let lab: Lab;
    let dir: string;
    let station: Station;
    let reader: LineProcess;

    before(async () => {
      lab = await Lab.start({ hosts: ['a', 'b'], subnet: '10.84.0' });
      dir = mkdtempSync(join(tmpdir(), 'msinet-memory-'));
      station = await Station.start(lab, 'a', 'hostA', dir);
      // Two clients: one that hears nothing (it keeps the driver awake whatever happens to the
      // other) and one that takes every delivery, thrown away as fast as it comes.
      await station.openDump(['--from', 'nobody-at-all']);
      reader = lab.spawn(
        'a',
        'sh',
        [
          '-c',
          `exec "${process.execPath}" --import tsx src/bin/msinet.ts --socket "${station.socket}" dump --json > /dev/null`,
        ],
        { cwd: REPO_ROOT, label: 'reader' },
      );
    });
    after(async () => {
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test(`60 s at ${PER_SECOND} datagrams/s: the driver's RSS levels off, within bounds`, async (t) => {
      const pid = findProcess(station.driver.pid ?? -1, 'msInetDriver');
      assert.ok(pid !== undefined, 'the driver process is found');
      await sleep(2_000); // the reader's client open, the driver settled
      const logFrom = station.logMark;
      const before = await station.status();
      const sampler = sampleRss(pid);
      const flood = lab.spawnTypeScript('b', 'test/netns/hostile-flood.ts', [
        station.address,
        '4950',
        String(FLOOD_MS),
        String(PER_SECOND),
        '11',
      ]);
      const exit = await flood.exited;
      const samples: RssSample[] = sampler.stop();
      assert.equal(exit.code, 0, flood.tail());
      const after = await station.status();

      t.diagnostic(`flood: ${flood.stdoutLines[0] ?? ''}`);
      t.diagnostic(`driver RSS (MiB) by second: ${showRss(samples)}`);
      const problems = (s: Record<string, unknown>) =>
        Object.values((s['problems'] ?? {}) as Record<string, number>).reduce((sum, n) => sum + n, 0);
      t.diagnostic(`problems counted during the flood: ${problems(after) - problems(before)}`);

      // The flood reached an awake driver, which took it in to the end.
      assert.equal(after['awake'], true, 'still awake');
      assert.deepEqual(station.logLinesSince(logFrom, /asleep/), [], 'never fell asleep');
      assert.ok(problems(after) - problems(before) > 1_000, 'and counted its garbage');
      assert.ok(reader.running, 'the reader of every delivery was not dropped');
      assert.ok(
        station.logLinesSince(logFrom, /connection complete/).length > 10,
        'fake stations were opened',
      );

      const start = samples[0]?.mib ?? NaN;
      const peak = Math.max(...samples.map((s) => s.mib));
      const window = (from: number, to: number) =>
        Math.max(...samples.filter((s) => s.at >= from && s.at < to).map((s) => s.mib));
      const settled = window(10_000, FLOOD_MS / 2 + 5_000);
      const last = window(FLOOD_MS / 2 + 5_000, Infinity);
      t.diagnostic(
        `RSS ${start.toFixed(1)} MiB before, peak ${peak.toFixed(1)}, highest ${settled.toFixed(1)} in 10–35 s, ${last.toFixed(1)} in 35–60 s`,
      );
      assert.ok(
        last - settled <= LATE_GROWTH_MIB,
        `its high-water mark rose ${(last - settled).toFixed(1)} MiB from 10–35 s to 35–60 s`,
      );
      assert.ok(peak - start <= TOTAL_GROWTH_MIB, `grew ${(peak - start).toFixed(1)} MiB in all`);
    });
  },
);
