// MIDI ports in a real msInetDriver process (SPEC §8). This machine has no ALSA
// sequencer: the driver says so in one line and runs on. Then the same driver
// with scripted ports (MSINET_MIDI_SYSTEM, test/fixtures/midi/scripted-system.mjs):
// a keyboard's notes reach a local client, a local client's notes reach a synth,
// and `msinet clients` / `msinet ports` show them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/paths.js';
import { freePort, MSINET_BIN, msinet, startDriver, startProgram, stopAll, until } from './cli-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-midi-cli-'));
const SCRIPTED = join(REPO_ROOT, 'test/fixtures/midi/scripted-system.mjs');
const hasSequencer = existsSync('/dev/snd/seq');

after(async () => {
  await stopAll();
  delete process.env.MSINET_MIDI_SYSTEM;
  delete process.env.MSINET_SCRIPTED_MIDI_LOG;
  rmSync(dir, { recursive: true, force: true });
});

describe('msInetDriver --midi without a MIDI subsystem', { timeout: 60_000 }, () => {
  test(
    'says so in one line and keeps serving its other clients',
    { skip: hasSequencer ? 'this machine has an ALSA sequencer' : false },
    async () => {
      const port = await freePort();
      const socket = join(dir, 'none.sock');
      const driver = await startDriver(port, socket, [
        '--midi',
        '--midi-in',
        'keyboard',
        '--midi-out',
        'synth',
      ]);
      const said = await driver.waitForLine(/MIDI subsystem|ALSA|RtMidi/, 10_000, { stream: 'stderr' });
      assert.match(
        said.line,
        /warn: no MIDI subsystem: no ALSA sequencer \(\/dev\/snd\/seq is missing; 'modprobe snd-seq' loads it\); running on without MIDI ports$/,
      );
      const status = await msinet(['--socket', socket, 'status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).port, port);
      assert.ok(driver.running, 'still running');
      // The start-up screen names MIDI ports among the clients that wake the driver; not counted.
      const midiLines = driver.stderrLines.filter((l) => /MIDI subsystem|ALSA|RtMidi|seq_hw|snd_seq/.test(l));
      assert.deepEqual(midiLines, [said.line], 'one line, and nothing from ALSA or RtMidi');
      driver.writeLine('q');
      assert.equal((await driver.exited).code, 0);
    },
  );

  test(
    'msinet ports says why and exits 1',
    { skip: hasSequencer ? 'this machine has an ALSA sequencer' : false },
    async () => {
      const result = await msinet(['ports', '--json']);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr,
        "msinet: no MIDI subsystem: no ALSA sequencer (/dev/snd/seq is missing; 'modprobe snd-seq' loads it)\n",
      );
    },
  );
});

describe('msInetDriver with scripted MIDI ports', { timeout: 60_000 }, () => {
  test('--midi-in and --midi-out bridge ports as clients of kind midi; notes go in and come out', async () => {
    const log = join(dir, 'scripted.log');
    process.env.MSINET_MIDI_SYSTEM = SCRIPTED;
    process.env.MSINET_SCRIPTED_MIDI_LOG = log;
    const ports = await msinet(['ports', '--json']);
    assert.equal(ports.code, 0, ports.stderr);
    assert.deepEqual(JSON.parse(ports.stdout), {
      inputs: ['Scripted Keyboard 20:0'],
      outputs: ['Scripted Synth 24:0'],
    });

    const port = await freePort();
    const socket = join(dir, 'scripted.sock');
    const driver = await startDriver(port, socket, ['--midi-in', 'KEYBOARD', '--midi-out', 'synth']);
    await driver.waitForLine(/MIDI output 'Scripted Synth 24:0' bridged/, 10_000, { stream: 'stderr' });
    const clients = await msinet(['--socket', socket, 'clients', '--json']);
    assert.equal(clients.code, 0, clients.stderr);
    const midi = (JSON.parse(clients.stdout) as { name: string; kind: string }[]).filter(
      (c) => c.kind === 'midi',
    );
    assert.deepEqual(midi.map((c) => c.name).sort(), ['Scripted Keyboard', 'Scripted Synth']);

    // In: the keyboard plays a key on every 100 ms; a dump connected from it hears them.
    const dump = startProgram(MSINET_BIN, [
      '--socket',
      socket,
      'dump',
      '--json',
      '--from',
      'Scripted Keyboard',
    ]);
    const first = await dump.waitForLine(/"keyOn"/, 15_000);
    const heard = JSON.parse(first.line) as { from: string; event: Record<string, unknown> };
    assert.equal(heard.from, 'Scripted Keyboard');
    assert.deepEqual(
      { ...heard.event, date: 0 },
      { type: 'keyOn', date: 0, port: 0, chan: 0, pitch: 60, vel: 100 },
    );
    dump.child.kill('SIGINT');
    await dump.exited;

    // Out: a local client plays to the synth, a note with its key off 50 ms later.
    const sent = await msinet([
      '--socket',
      socket,
      'send',
      '--to',
      'Scripted Synth',
      'note:chan=1:pitch=61:vel=90:dur=50',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    await until(
      () => existsSync(log) && readFileSync(log, 'utf8').includes('\t813d40'),
      'the key off at the synth',
    );
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'Scripted Synth 24:0\t913d5a',
      'Scripted Synth 24:0\t813d40',
    ]);
    driver.writeLine('q');
    assert.equal((await driver.exited).code, 0);
  });
});
