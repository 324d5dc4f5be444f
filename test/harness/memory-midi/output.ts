/** An output port of the in-memory MIDI system: what the driver writes goes to `write`, unless the port is gone. */
import { fail, type Result } from '../../../src/model/result.js';
import type { MidiOutputPort } from '../../../src/sources/midi-system.js';

export class MemoryMidiOutput implements MidiOutputPort {
  readonly name: string;
  #write: (message: Uint8Array) => Result<void>;
  #onClose: (port: MemoryMidiOutput) => void;
  #closed = false;

  constructor(
    name: string,
    write: (message: Uint8Array) => Result<void>,
    onClose: (port: MemoryMidiOutput) => void,
  ) {
    this.name = name;
    this.#write = write;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(message: Uint8Array): Result<void> {
    return this.#closed ? fail(`${this.name} is closed`) : this.#write(message);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
  }
}
