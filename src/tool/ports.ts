/**
 * `msinet ports [--json]` (SPEC §8): the MIDI ports of this machine. It asks
 * the MIDI system itself, not the driver, so it answers with no driver
 * running: the way to find the name to give `--midi-in` / `--midi-out`
 * before starting one. Without a MIDI system: why, and exit 1.
 */
import type { Result } from '../model/result.js';
import type { MidiPortList, MidiSystem } from '../sources/midi-system.js';
import { openMidiSystem } from '../sources/open-midi-system.js';
import type { Command } from './args.js';
import { CommandError } from './driver-connection.js';
import type { Io } from './io.js';

type PortsCommand = Extract<Command, { kind: 'ports' }>;

export function formatPorts(list: MidiPortList): string {
  const section = (title: string, names: readonly string[]) => [
    title,
    ...(names.length === 0 ? ['  (none)'] : names.map((name) => `  ${name}`)),
  ];
  return [
    ...section('inputs (the driver reads them: --midi-in):', list.inputs),
    ...section('outputs (the driver plays them: --midi-out):', list.outputs),
  ].join('\n');
}

export async function runPorts(
  command: PortsCommand,
  io: Io,
  open: () => Promise<Result<MidiSystem>> = () => openMidiSystem(),
): Promise<number> {
  const opened = await open();
  if (!opened.ok) throw new CommandError(`no MIDI subsystem: ${opened.reason}`);
  const system = opened.value;
  const list: MidiPortList = { inputs: [...system.inputs()], outputs: [...system.outputs()] };
  system.close();
  io.stdout.write(`${command.json ? JSON.stringify(list) : formatPorts(list)}\n`);
  return 0;
}
