/**
 * splitLines (src/operators/split-lines.ts), the first thing every byte a
 * local client sends meets, against a model of what it must do: lines of any
 * text (multi-byte characters, `\r\n` endings, empty and blank lines), their
 * bytes cut into chunks at random points — inside characters and `\r\n`
 * pairs, many lines to a chunk or one line over many — as views into larger
 * buffers that the source overwrites once it has handed them over.
 *
 * - Unbounded: the lines out are the lines in, `\r` dropped, blank ones
 *   skipped; what follows the last newline is dropped.
 * - Bounded (a small limit): the same, up to the first line (or unfinished
 *   tail) longer than the limit, which is one failure that ends the output.
 * - How the bytes were cut never changes the outcome.
 *
 * Each run tries 3,000 unbounded and 3,000 bounded inputs. The seed is fixed
 * (test/harness/fuzz.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { Observable } from 'rxjs';
import { splitLines } from '../../src/operators/split-lines.js';
import type { Result } from '../../src/model/result.js';
import { fuzzParameters } from '../harness/fuzz.js';

const RUNS = 3_000;

/** A line's text: anything but a newline, often with a `\r` before it, sometimes blank. */
const lineText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', '\t ', '\r', '{"op":"status"}'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300, size: 'max' }),
);
/** Text as UTF-8 carries it: a lone surrogate becomes U+FFFD on the way, in the model too. */
const asUtf8 = (text: string) => Buffer.from(text.replace(/\n/g, ''), 'utf8').toString('utf8');
const lines = fc.array(
  fc.tuple(lineText, fc.boolean()).map(([text, crlf]) => asUtf8(text) + (crlf ? '\r' : '')),
  { maxLength: 30 },
);
/** What follows the last newline: a line the peer never finished. */
const tail = fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 20 }).map(asUtf8));
const cuts = fc.oneof(
  fc.array(fc.nat(), { maxLength: 10 }),
  fc.array(fc.nat(), { minLength: 50, maxLength: 300, size: 'max' }),
);

/** The model: each line's text, `\r` dropped, blank ones skipped, up to the first longer than `max` bytes. */
function expected(input: readonly string[], rest: string, max: number): Result<string>[] {
  const out: Result<string>[] = [];
  for (const line of input) {
    if (Buffer.byteLength(line) > max)
      return [...out, { ok: false, reason: `line longer than ${max} bytes` }];
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() !== '') out.push({ ok: true, value: text });
  }
  if (Buffer.byteLength(rest) > max) out.push({ ok: false, reason: `line longer than ${max} bytes` });
  return out;
}

/**
 * Feeds `bytes` cut at `at` through splitLines(max). Each chunk is a view into
 * a larger buffer, overwritten right after it was handed over, as a socket
 * reusing its buffer would: what splitLines keeps, it must have copied.
 */
function run(bytes: Buffer, at: readonly number[], max: number): Result<string>[] {
  const ends = [...new Set(at.map((c) => c % (bytes.length + 1))), bytes.length].sort((a, b) => a - b);
  const out: Result<string>[] = [];
  let completed = false;
  new Observable<Uint8Array>((subscriber) => {
    let start = 0;
    for (const end of ends) {
      const arena = Buffer.alloc(end - start + 16, 0x7b);
      bytes.copy(arena, 8, start, end);
      const chunk = arena.subarray(8, 8 + end - start);
      subscriber.next(chunk);
      arena.fill(0x0a); // newlines everywhere: a kept view would read them as lines
      start = end;
    }
    subscriber.complete();
  })
    .pipe(splitLines(max))
    .subscribe({ next: (line) => out.push(line), complete: () => (completed = true) });
  assert.ok(completed, 'the output completes');
  return out;
}

describe('splitLines fuzz', () => {
  test('lines out equal lines in, however the bytes are cut', () => {
    fc.assert(
      fc.property(lines, tail, cuts, (input, rest, at) => {
        const bytes = Buffer.from(input.map((line) => `${line}\n`).join('') + rest, 'utf8');
        assert.deepEqual(run(bytes, at, 1 << 20), expected(input, rest, 1 << 20));
      }),
      fuzzParameters(RUNS),
    );
  });

  test('with a bound: the same up to the first line longer than it, which is one failure that ends the output', () => {
    let failures = 0;
    fc.assert(
      fc.property(lines, tail, cuts, fc.integer({ min: 1, max: 64 }), (input, rest, at, max) => {
        const bytes = Buffer.from(input.map((line) => `${line}\n`).join('') + rest, 'utf8');
        const want = expected(input, rest, max);
        const got = run(bytes, at, max);
        assert.deepEqual(got, want);
        if (got.some((line) => !line.ok)) failures += 1;
      }),
      fuzzParameters(RUNS),
    );
    assert.ok(
      failures > RUNS / 10 && failures < RUNS - RUNS / 10,
      `${failures} of ${RUNS} ran into the bound`,
    );
  });
});
