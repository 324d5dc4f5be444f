/**
 * A MIDI input port of RtMidi (@julusian/midi): a device the driver reads, or
 * a virtual port other programs play into. SysEx, clock and active sensing
 * are let through (RtMidi drops them by default): the bridge passes on what
 * the port says, and the model's parser decides.
 */
import type { Input } from '@julusian/midi';
import { Subject, type Observable } from 'rxjs';
import type { MidiInputPort } from './midi-system.js';

export class RtMidiInput implements MidiInputPort {
  readonly name: string;
  readonly bytes$: Observable<Uint8Array>;
  #input: Input;
  #bytes = new Subject<Uint8Array>();
  #closed = false;
  #onClose: () => void;

  /** `input` must have its port open already; this object owns it from now on. `onClose` runs once, at close. */
  constructor(input: Input, name: string, onClose: () => void = () => undefined) {
    this.name = name;
    this.#onClose = onClose;
    this.#input = input;
    this.bytes$ = this.#bytes.asObservable();
    input.ignoreTypes(false, false, false);
    input.on('messageBuffer', (_deltaTime, message) => {
      if (!this.#closed) this.#bytes.next(new Uint8Array(message));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.removeAllListeners('messageBuffer');
    try {
      this.#input.closePort();
      this.#input.destroy();
    } catch {
      // A port whose device went away may refuse to close: it is gone either way.
    }
    this.#bytes.complete();
    this.#onClose();
  }
}
