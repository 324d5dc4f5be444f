/**
 * The MIDI system the driver and `msinet ports` use: RtMidi (the ALSA
 * sequencer on Linux), or the module named by MSINET_MIDI_SYSTEM, whose
 * default export is a function answering a MidiSystem (or a promise of one):
 * another back end, or an in-memory one for tests (docs/midi.md).
 * RtMidi is loaded only when asked for, so that the driver without MIDI
 * flags, and the other msinet commands, never load the native library.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail, ok, type Result } from '../model/result.js';
import type { MidiSystem } from './midi-system.js';

export const MIDI_SYSTEM_ENV = 'MSINET_MIDI_SYSTEM';

export async function openMidiSystem(env: NodeJS.ProcessEnv = process.env): Promise<Result<MidiSystem>> {
  const module = env[MIDI_SYSTEM_ENV];
  if (module !== undefined && module !== '') {
    try {
      const loaded = (await import(pathToFileURL(resolve(module)).href)) as { default?: unknown };
      if (typeof loaded.default !== 'function')
        return fail(`${MIDI_SYSTEM_ENV}=${module}: its default export is not a function`);
      return ok((await (loaded.default as () => MidiSystem | Promise<MidiSystem>)()) as MidiSystem);
    } catch (error) {
      return fail(`${MIDI_SYSTEM_ENV}=${module}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const { RtMidiSystem } = await import('./rt-midi-system.js');
  return RtMidiSystem.open();
}
