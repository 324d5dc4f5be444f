/**
 * A MIDI output port of RtMidi (@julusian/midi): a device the driver plays,
 * or a virtual port other programs record from. One whole message a call:
 * RtMidi's ALSA back end encodes one event per write.
 */
import type { Output } from '@julusian/midi';
import { fail, ok, type Result } from '../model/result.js';
import type { MidiOutputPort } from '../sources/midi-system.js';

const SENT: Result<void> = ok(undefined);

export class RtMidiOutput implements MidiOutputPort {
  readonly name: string;
  #output: Output;
  #closed = false;
  #onClose: () => void;

  /** `output` must have its port open already; this object owns it from now on. `onClose` runs once, at close. */
  constructor(output: Output, name: string, onClose: () => void = () => undefined) {
    this.name = name;
    this.#onClose = onClose;
    this.#output = output;
  }

  send(message: Uint8Array): Result<void> {
    if (this.#closed) return fail(`${this.name} is closed`);
    try {
      this.#output.sendMessage(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
      return SENT;
    } catch (error) {
      return fail(`${this.name}: ${(error as Error).message}`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#output.closePort();
      this.#output.destroy();
    } catch {
      // A port whose device went away may refuse to close: it is gone either way.
    }
    this.#onClose();
  }
}
