/**
 * The MIDI ports of this machine behind a small interface (SPEC §8), so that
 * the bridge runs on RtMidi (@julusian/midi: the ALSA sequencer on Linux,
 * CoreMIDI, WinMM) in production and on an in-memory system in tests.
 *
 * Directions are the driver's own: an *input* is a port the driver reads
 * (a keyboard; a virtual input is a port other programs play into), an
 * *output* a port it writes (a synth; a virtual output is a port other
 * programs record from). Opening answers a value, never throws: a busy or
 * vanished port is an ordinary event of a studio.
 */
import type { Observable } from 'rxjs';
import type { Result } from '../model/result.js';

export interface MidiInputPort {
  readonly name: string;
  /**
   * The bytes as the system hands them over: whole messages, or parts of a
   * long SysEx, realtime bytes anywhere. Hot: subscribe before bytes come.
   * Completes when the port is closed.
   */
  readonly bytes$: Observable<Uint8Array>;
  /** Stops reading and lets the port go. Idempotent. */
  close(): void;
}

export interface MidiOutputPort {
  readonly name: string;
  /** Writes one whole MIDI message now; fails when the port is closed or gone. */
  send(message: Uint8Array): Result<void>;
  /** Lets the port go. Idempotent. */
  close(): void;
}

export interface MidiSystem {
  /** What it is, for the log: e.g. `ALSA sequencer (RtMidi)`. */
  readonly description: string;
  /** Names of the ports the driver can read now (keyboards, other programs' outputs). */
  inputs(): readonly string[];
  /** Names of the ports the driver can write now (synths, other programs' inputs). */
  outputs(): readonly string[];
  /** Opens the input port of this exact name. */
  openInput(name: string): Result<MidiInputPort>;
  /** Opens the output port of this exact name. */
  openOutput(name: string): Result<MidiOutputPort>;
  /** Makes a new port named `name` that other programs play into. */
  virtualInput(name: string): Result<MidiInputPort>;
  /** Makes a new port named `name` that other programs record from. */
  virtualOutput(name: string): Result<MidiOutputPort>;
  /** Closes every port it opened and lets the system go. */
  close(): void;
}

/** Both lists at one moment: what `msinet ports` prints and what the bridge watches. */
export interface MidiPortList {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}
