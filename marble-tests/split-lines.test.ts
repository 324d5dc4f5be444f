/**
 * splitLines: newline-delimited input, bounded (src/operators/split-lines.ts). Chunks
 * are Buffers as sockets give them; a line may straddle chunks, a chunk may
 * hold many lines.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { splitLines } from '../src/operators/split-lines.js';
import { fail, ok } from '../src/model/result.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('splitLines', () => {
  test('lines within a chunk, across chunks, with \\r and empty lines; the unfinished tail is dropped', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      const chunks = cold('-a-b-c-|', {
        a: bytes('{"x":1}\n{"y"'),
        b: bytes(':2}\r\n\n   \n{"z":3}\n'),
        c: bytes('{"cut'),
      });
      expectObservable(chunks.pipe(splitLines())).toBe('-a-(bc)|', {
        a: ok('{"x":1}'),
        b: ok('{"y":2}'),
        c: ok('{"z":3}'),
      });
    });
  });

  test('a line split inside a multi-byte character is decoded whole', () => {
    const euro = bytes('é€\n');
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      const chunks = cold('-a-b-|', { a: euro.subarray(0, 3), b: euro.subarray(3) });
      expectObservable(chunks.pipe(splitLines())).toBe('---b-|', { b: ok('é€') });
    });
  });

  test('a line longer than the bound is one failure, then the output ends', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      const chunks = cold('-a-b-|', { a: bytes('ok\n12345'), b: bytes('6789\nnever\n') });
      expectObservable(chunks.pipe(splitLines(8))).toBe('-a-(b|)', {
        a: ok('ok'),
        b: fail('line longer than 8 bytes'),
      });
    });
  });

  test('many lines in one chunk, each in order', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`);
    const got: string[] = [];
    new TestScheduler(assert.deepStrictEqual).run(({ cold, flush }) => {
      cold('-a-|', { a: bytes(`${lines.join('\n')}\n`) })
        .pipe(splitLines())
        .subscribe((line) => got.push(line.ok ? line.value : `failed: ${line.reason}`));
      flush();
    });
    assert.deepEqual(got, lines);
  });
});
