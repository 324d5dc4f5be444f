/** An input port of the in-memory MIDI system: bytes the test plays come out of `bytes$`. */
import { Subject, type Observable } from 'rxjs';
import type { MidiInputPort } from '../../../src/sources/midi-system.js';

export class MemoryMidiInput implements MidiInputPort {
  readonly name: string;
  readonly bytes$: Observable<Uint8Array>;
  #bytes = new Subject<Uint8Array>();
  #onClose: (port: MemoryMidiInput) => void;

  constructor(name: string, onClose: (port: MemoryMidiInput) => void) {
    this.name = name;
    this.bytes$ = this.#bytes.asObservable();
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#bytes.closed || this.#bytes.isStopped;
  }

  /** The port receives these bytes (called by the system). */
  deliver(bytes: Uint8Array): void {
    if (!this.closed) this.#bytes.next(bytes);
  }

  close(): void {
    if (this.closed) return;
    this.#bytes.complete();
    this.#onClose(this);
  }
}
