/**
 * Text on the wire (host names, MIDI file meta texts). The original copies C
 * strings byte for byte and never says which character set they are in, so
 * msinet writes UTF-8 and reads UTF-8 when the bytes are valid UTF-8, else
 * Latin-1 — which maps every byte to a character, so reading never fails and
 * an old station's accented Latin-1 names still come out readable.
 */
import { Buffer, isUtf8 } from 'node:buffer';

export function encodeText(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function decodeText(bytes: Uint8Array): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.toString(isUtf8(view) ? 'utf8' : 'latin1');
}
