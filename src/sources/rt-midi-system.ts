/**
 * The machine's MIDI system through RtMidi (@julusian/midi): the ALSA
 * sequencer on Linux, CoreMIDI on macOS, WinMM on Windows.
 *
 * `RtMidiSystem.open()` answers the system or why there is none, in one
 * sentence. On Linux it first looks for the sequencer device itself: without
 * it, RtMidi and ALSA would each print their own lines to stderr before
 * RtMidi gives up, and the driver must say it in one line (SPEC §8).
 *
 * The port lists come from two idle RtMidi objects kept for the purpose;
 * each port opened gets an RtMidi object of its own.
 */
import { accessSync, constants } from 'node:fs';
import type { Input, Output } from '@julusian/midi';
import { fail, ok, type Result } from '../model/result.js';
import { RtMidiOutput } from '../sinks/rt-midi-output.js';
import type { MidiInputPort, MidiOutputPort, MidiSystem } from './midi-system.js';
import { RtMidiInput } from './rt-midi-input.js';

type MidiLibrary = typeof import('@julusian/midi');

export interface RtMidiOptions {
  /**
   * Linux: the ALSA sequencer device looked for before RtMidi is asked
   * (default /dev/snd/seq); false asks RtMidi at once.
   */
  sequencer?: string | false;
}

export const ALSA_SEQUENCER = '/dev/snd/seq';

const DESCRIPTIONS: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'ALSA sequencer (RtMidi)',
  darwin: 'CoreMIDI (RtMidi)',
  win32: 'Windows MIDI (RtMidi)',
};

/** Why the sequencer device cannot be used, or undefined when it can. */
function sequencerProblem(device: string): string | undefined {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no ALSA sequencer (${device} is missing; 'modprobe snd-seq' loads it)`;
    if (code === 'EACCES' || code === 'EPERM') {
      return `no access to the ALSA sequencer (${device}: permission denied; add the user to the 'audio' group)`;
    }
    return `the ALSA sequencer cannot be used (${device}: ${(error as Error).message})`;
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function portNames(ports: Input | Output): string[] {
  try {
    const names: string[] = [];
    for (let i = 0; i < ports.getPortCount(); i++) names.push(ports.getPortName(i));
    return names;
  } catch {
    return [];
  }
}

export class RtMidiSystem implements MidiSystem {
  readonly description: string;
  #lib: MidiLibrary;
  #inputs: Input;
  #outputs: Output;
  #open = new Set<MidiInputPort | MidiOutputPort>();

  private constructor(lib: MidiLibrary, inputs: Input, outputs: Output) {
    this.description = DESCRIPTIONS[process.platform] ?? 'RtMidi';
    this.#lib = lib;
    this.#inputs = inputs;
    this.#outputs = outputs;
  }

  /** The MIDI system, or the one sentence that says why there is none. */
  static async open(options: RtMidiOptions = {}): Promise<Result<RtMidiSystem>> {
    const device = options.sequencer ?? ALSA_SEQUENCER;
    if (process.platform === 'linux' && device !== false) {
      const problem = sequencerProblem(device);
      if (problem !== undefined) return fail(problem);
    }
    let lib: MidiLibrary;
    try {
      // Its named exports, not `default`: loaders differ on what a CommonJS default is.
      lib = await import('@julusian/midi');
      lib.verifyLibraryLoaded();
    } catch (error) {
      return fail(`the MIDI library does not load (${message(error)})`);
    }
    try {
      return ok(new RtMidiSystem(lib, new lib.Input(), new lib.Output()));
    } catch (error) {
      return fail(`RtMidi cannot start (${message(error)})`);
    }
  }

  inputs(): readonly string[] {
    return portNames(this.#inputs);
  }

  outputs(): readonly string[] {
    return portNames(this.#outputs);
  }

  openInput(name: string): Result<MidiInputPort> {
    return this.#openPort(
      name,
      this.inputs(),
      () => new this.#lib.Input(),
      (input, onClose) => new RtMidiInput(input, name, onClose),
    );
  }

  openOutput(name: string): Result<MidiOutputPort> {
    return this.#openPort(
      name,
      this.outputs(),
      () => new this.#lib.Output(),
      (output, onClose) => new RtMidiOutput(output, name, onClose),
    );
  }

  virtualInput(name: string): Result<MidiInputPort> {
    return this.#virtual(
      name,
      () => new this.#lib.Input(),
      (input, onClose) => new RtMidiInput(input, name, onClose),
    );
  }

  virtualOutput(name: string): Result<MidiOutputPort> {
    return this.#virtual(
      name,
      () => new this.#lib.Output(),
      (output, onClose) => new RtMidiOutput(output, name, onClose),
    );
  }

  close(): void {
    for (const port of this.#open) port.close();
    this.#open.clear();
    for (const ports of [this.#inputs, this.#outputs]) {
      try {
        ports.destroy();
      } catch {
        // Nothing left to let go.
      }
    }
  }

  #openPort<P extends Input | Output, T extends MidiInputPort | MidiOutputPort>(
    name: string,
    present: readonly string[],
    create: () => P,
    wrap: (port: P, onClose: () => void) => T,
  ): Result<T> {
    const index = present.indexOf(name);
    if (index < 0) return fail(`no MIDI port named '${name}'`);
    return this.#adopt(name, create, (port) => port.openPort(index), wrap);
  }

  #virtual<P extends Input | Output, T extends MidiInputPort | MidiOutputPort>(
    name: string,
    create: () => P,
    wrap: (port: P, onClose: () => void) => T,
  ): Result<T> {
    return this.#adopt(name, create, (port) => port.openVirtualPort(name), wrap);
  }

  #adopt<P extends Input | Output, T extends MidiInputPort | MidiOutputPort>(
    name: string,
    create: () => P,
    openIt: (port: P) => void,
    wrap: (port: P, onClose: () => void) => T,
  ): Result<T> {
    let port: P | undefined;
    try {
      port = create();
      openIt(port);
    } catch (error) {
      try {
        port?.destroy();
      } catch {
        // It never opened.
      }
      return fail(`cannot open '${name}' (${message(error)}; busy, or gone)`);
    }
    const wrapped = wrap(port, () => this.#open.delete(wrapped));
    this.#open.add(wrapped);
    return ok(wrapped);
  }
}
