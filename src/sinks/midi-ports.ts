/**
 * The driver's MIDI ports (SPEC §8), as one Observable for the process to
 * subscribe: opens the MIDI system when asked for (`--midi`, `--midi-in`,
 * `--midi-out`) and runs the bridge over it; without a MIDI system it says
 * so in one line and completes, so the driver runs on with its other local
 * clients. Unsubscribing closes every port, then the system.
 */
import { EMPTY, defer, finalize, switchMap, type Observable } from 'rxjs';
import type { Result } from '../model/result.js';
import type { MidiSystem } from '../sources/midi-system.js';
import { openMidiSystem } from '../sources/open-midi-system.js';
import { midiBridge, wantsMidi, type MidiBridgeConfig, type MidiBridgeIo } from './midi-bridge.js';

export interface MidiPortsIo extends Omit<MidiBridgeIo, 'system'> {
  /** Default: RtMidi, or the module MSINET_MIDI_SYSTEM names. */
  open?: () => Promise<Result<MidiSystem>>;
}

export function midiPorts(config: MidiBridgeConfig, io: MidiPortsIo): Observable<never> {
  if (!wantsMidi(config)) return EMPTY;
  const open = io.open ?? (() => openMidiSystem());
  return defer(open).pipe(
    switchMap((opened) => {
      if (!opened.ok) {
        io.logger.warn(`no MIDI subsystem: ${opened.reason}; running on without MIDI ports`);
        return EMPTY;
      }
      const system = opened.value;
      io.logger.info(`MIDI: ${system.description}`);
      return midiBridge(config, { ...io, system }).pipe(finalize(() => system.close()));
    }),
  );
}
