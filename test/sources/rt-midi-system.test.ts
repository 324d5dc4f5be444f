/**
 * The real MIDI system wrapper (@julusian/midi). This machine has no ALSA
 * sequencer, as CI has none: opening says so in one sentence and prints
 * nothing. Where a sequencer exists, the same test lists its ports instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ALSA_SEQUENCER, RtMidiSystem } from '../../src/sources/rt-midi-system.js';
import { REPO_ROOT } from '../harness/paths.js';

const hasSequencer = process.platform === 'linux' && existsSync(ALSA_SEQUENCER);

describe('RtMidiSystem', () => {
  test(
    'without an ALSA sequencer, open() answers why in one sentence',
    { skip: hasSequencer ? `this machine has ${ALSA_SEQUENCER}` : false },
    async () => {
      const opened = await RtMidiSystem.open();
      assert.equal(opened.ok, false);
      assert.equal(
        opened.ok ? '' : opened.reason,
        "no ALSA sequencer (/dev/snd/seq is missing; 'modprobe snd-seq' loads it)",
      );
    },
  );

  test(
    'with an ALSA sequencer, open() lists its ports',
    { skip: hasSequencer ? false : `no ${ALSA_SEQUENCER} on this machine` },
    async () => {
      const opened = await RtMidiSystem.open();
      assert.ok(opened.ok, opened.ok ? '' : opened.reason);
      assert.ok(Array.isArray(opened.value.inputs()));
      assert.ok(Array.isArray(opened.value.outputs()));
      opened.value.close();
    },
  );

  test('another sequencer device that is missing is named in the reason', async () => {
    const opened = await RtMidiSystem.open({ sequencer: '/nonexistent/seq' });
    assert.equal(opened.ok, false);
    assert.match(opened.ok ? '' : opened.reason, /^no ALSA sequencer \(\/nonexistent\/seq is missing/);
  });

  test(
    'asked at once, RtMidi fails with its own words and ALSA prints to stderr: why the driver looks first',
    { skip: hasSequencer ? `this machine has ${ALSA_SEQUENCER}` : false },
    () => {
      const script =
        "import { RtMidiSystem } from './src/sources/rt-midi-system.ts';" +
        'const r = await RtMidiSystem.open({ sequencer: false });' +
        'process.stdout.write(JSON.stringify(r));';
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        ok: false,
        reason: 'RtMidi cannot start (Failed to initialise RtMidi)',
      });
      assert.ok(
        run.stderr.split('\n').filter((l) => l.trim() !== '').length > 1,
        'RtMidi and ALSA said more than one line',
      );
    },
  );
});
