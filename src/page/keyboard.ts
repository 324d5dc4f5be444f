/**
 * An on-screen keyboard, for where no MIDI device is: two octaves of real
 * buttons, each named by its note (`C4`, `C♯4`). A pointer held on a key
 * plays it until released; Enter or Space on a focused key plays a short
 * note. The computer keyboard plays too, as in most music software: the row
 * A S D F G H J K L are the white keys, W E T Y U O P the black ones, Z and X
 * shift the octave. Keys typed into a form field are left alone.
 */
import { element } from './remotes-view.js';

export interface KeyboardPlayer {
  keyOn(pitch: number): void;
  keyOff(pitch: number): void;
  /** A note of its own length (a key pressed with Enter or Space). */
  note(pitch: number): void;
}

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];
const BLACK = new Set([1, 3, 6, 8, 10]);
/** Computer keys → semitones above the lowest C shown. */
const KEYS: Record<string, number> = {
  KeyA: 0,
  KeyW: 1,
  KeyS: 2,
  KeyE: 3,
  KeyD: 4,
  KeyF: 5,
  KeyT: 6,
  KeyG: 7,
  KeyY: 8,
  KeyH: 9,
  KeyU: 10,
  KeyJ: 11,
  KeyK: 12,
  KeyO: 13,
  KeyL: 14,
  KeyP: 15,
  Semicolon: 16,
};

export function noteName(pitch: number): string {
  return `${NAMES[pitch % 12] ?? '?'}${Math.floor(pitch / 12) - 1}`;
}

export class Keyboard {
  private lowest = 60;
  private readonly held = new Map<string, number>();

  constructor(
    private readonly container: HTMLElement,
    private readonly octaveText: HTMLElement,
    private readonly player: KeyboardPlayer,
  ) {
    this.draw();
    document.addEventListener('keydown', (e) => this.computerKey(e, true));
    document.addEventListener('keyup', (e) => this.computerKey(e, false));
    window.addEventListener('blur', () => this.releaseAll());
  }

  shiftOctave(by: number): void {
    this.releaseAll();
    this.lowest = Math.min(108, Math.max(12, this.lowest + 12 * by));
    this.draw();
  }

  private draw(): void {
    this.container.replaceChildren();
    for (let pitch = this.lowest; pitch < this.lowest + 25; pitch++) {
      const name = noteName(pitch);
      const key = element(
        'button',
        {
          type: 'button',
          class: BLACK.has(pitch % 12) ? 'key black' : 'key white',
          'data-pitch': String(pitch),
        },
        name,
      );
      key.setAttribute('aria-label', `${name} (MIDI ${pitch})`);
      key.addEventListener('pointerdown', (e) => {
        key.setPointerCapture(e.pointerId);
        this.press(`pointer${e.pointerId}`, pitch);
      });
      for (const end of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) {
        key.addEventListener(end, (e) => this.release(`pointer${e.pointerId}`));
      }
      // A click with no pointer (detail 0) came from Enter or Space.
      key.addEventListener('click', (e) => {
        if (e.detail === 0) this.player.note(pitch);
      });
      this.container.append(key);
    }
    this.octaveText.textContent = `${noteName(this.lowest)} to ${noteName(this.lowest + 24)}`;
  }

  private computerKey(e: KeyboardEvent, down: boolean): void {
    const target = e.target as HTMLElement | null;
    if (target?.closest('input, select, textarea, [contenteditable]')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (down && (e.code === 'KeyZ' || e.code === 'KeyX')) {
      if (!e.repeat) this.shiftOctave(e.code === 'KeyZ' ? -1 : 1);
      return;
    }
    const semitone = KEYS[e.code];
    if (semitone === undefined) return;
    e.preventDefault();
    if (!down) return this.release(e.code);
    if (!e.repeat && !this.held.has(e.code)) this.press(e.code, this.lowest + semitone);
  }

  private press(source: string, pitch: number): void {
    if (this.held.has(source)) this.release(source);
    this.held.set(source, pitch);
    this.keyOf(pitch)?.classList.add('down');
    this.player.keyOn(pitch);
  }

  private release(source: string): void {
    const pitch = this.held.get(source);
    if (pitch === undefined) return;
    this.held.delete(source);
    if (![...this.held.values()].includes(pitch)) this.keyOf(pitch)?.classList.remove('down');
    this.player.keyOff(pitch);
  }

  private releaseAll(): void {
    for (const source of [...this.held.keys()]) this.release(source);
  }

  private keyOf(pitch: number): HTMLElement | null {
    return this.container.querySelector(`[data-pitch="${pitch}"]`);
  }
}
