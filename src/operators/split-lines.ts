/**
 * Newline-delimited input with a bound on the line length (SPEC §10): bytes
 * in, one value per complete line out; a line longer than the bound is one
 * failure, after which nothing more is read. A trailing `\r` is dropped (so
 * `nc` and Windows tools work) and empty lines are skipped. Bytes after the
 * last newline are discarded on completion: a peer that vanishes mid-line
 * sent no line.
 *
 *   bytes:  -a"{"-b"x}\n{"-c"y}\n"-|
 *   lines:  ---b-------c--------|      b = '{x}', c = '{y}'
 *
 * Splitting on the byte 0x0A before decoding is safe: no UTF-8 multi-byte
 * sequence contains it. Uses no scheduler.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { fail, ok, type Result } from '../model/result.js';

export const MAX_LINE_BYTES = 1 << 20;

export function splitLines(maxBytes: number = MAX_LINE_BYTES): OperatorFunction<Uint8Array, Result<string>> {
  return (source) =>
    new Observable<Result<string>>((subscriber) => {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const tooLong = (): void => {
        subscriber.next(fail(`line longer than ${maxBytes} bytes`));
        subscriber.complete();
      };
      const subscription = source.subscribe({
        next(chunk) {
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          // Lines are read in place, by index: a chunk of a burst holds thousands of them.
          let start = 0;
          for (let newline = bytes.indexOf(10); newline >= 0; newline = bytes.indexOf(10, start)) {
            if (pendingBytes + newline - start > maxBytes) return tooLong();
            const line =
              pending.length === 0
                ? bytes.toString('utf8', start, newline)
                : Buffer.concat([...pending, bytes.subarray(start, newline)]).toString('utf8');
            pending = [];
            pendingBytes = 0;
            start = newline + 1;
            const text = line.endsWith('\r') ? line.slice(0, -1) : line;
            if (text.trim() !== '') subscriber.next(ok(text));
            if (subscriber.closed) return;
          }
          const rest = bytes.length - start;
          if (pendingBytes + rest > maxBytes) return tooLong();
          if (rest > 0) {
            // Copied: the source may reuse its buffer.
            pending.push(Buffer.from(bytes.subarray(start)));
            pendingBytes += rest;
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return subscription;
    });
}
