/** `msinet ports [--json]` against the in-memory MIDI system (the process path is in test/cli/midi-cli.test.ts). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { fail, ok } from '../../src/model/result.js';
import { parseMsinetArgs } from '../../src/tool/args.js';
import { CommandError } from '../../src/tool/driver-connection.js';
import { runPorts } from '../../src/tool/ports.js';
import { MemoryMidiSystem } from '../harness/memory-midi/system.js';

function io() {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { io: { stdin: new PassThrough(), stdout, stderr: new PassThrough() }, text: () => text };
}

function studio(): MemoryMidiSystem {
  const system = new MemoryMidiSystem();
  system.plugInput('USB Keyboard:USB Keyboard MIDI 1 20:0');
  system.plugOutput('Synth:Synth MIDI 1 24:0');
  system.plugOutput('Midi Through:Midi Through Port-0 14:0');
  return system;
}

describe('msinet ports', () => {
  test('the command line: ports, ports --json', () => {
    const parsed = parseMsinetArgs(['ports', '--json']);
    assert.deepEqual(parsed.kind === 'run' ? parsed.command : parsed, { kind: 'ports', json: true });
  });

  test('--json: one object with the inputs and outputs', async () => {
    const out = io();
    assert.equal(await runPorts({ kind: 'ports', json: true }, out.io, async () => ok(studio())), 0);
    assert.deepEqual(JSON.parse(out.text()), {
      inputs: ['USB Keyboard:USB Keyboard MIDI 1 20:0'],
      outputs: ['Synth:Synth MIDI 1 24:0', 'Midi Through:Midi Through Port-0 14:0'],
    });
  });

  test('for people: each list under what the driver does with it', async () => {
    const out = io();
    const empty = new MemoryMidiSystem();
    empty.plugOutput('Synth 24:0');
    assert.equal(await runPorts({ kind: 'ports', json: false }, out.io, async () => ok(empty)), 0);
    assert.equal(
      out.text(),
      'inputs (the driver reads them: --midi-in):\n  (none)\noutputs (the driver plays them: --midi-out):\n  Synth 24:0\n',
    );
  });

  test('without a MIDI system: a CommandError with the reason (one line on stderr, exit 1, in main)', async () => {
    await assert.rejects(
      runPorts({ kind: 'ports', json: true }, io().io, async () => fail('no ALSA sequencer')),
      (error: unknown) =>
        error instanceof CommandError && error.message === 'no MIDI subsystem: no ALSA sequencer',
    );
  });
});
