// LineProcess is how the tests and the benchmark see child processes: their
// lines must arrive whole, in order, once, to everything that reads them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { LineProcess } from './line-process.js';

test('stdout lines reach onStdoutLine handlers and stdoutLines alike, whole and in order, however the pipe cuts them', async () => {
  // Lines written in pieces that split them mid-line, and many at once.
  const script = `
    process.stdout.write('first li');
    setTimeout(() => process.stdout.write('ne\\nsecond\\nthi'), 20);
    setTimeout(() => process.stdout.write('rd\\n' + Array.from({ length: 1000 }, (_, i) => 'n' + i).join('\\n') + '\\n'), 40);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'pipe', detached: true });
  const proc = new LineProcess(child, 'printer');
  const seen: string[] = [];
  proc.onStdoutLine((line) => seen.push(line));
  const exit = await proc.exited;
  const expected = ['first line', 'second', 'third', ...Array.from({ length: 1000 }, (_, i) => `n${i}`)];
  assert.equal(exit.code, 0);
  assert.deepEqual(seen, expected);
  assert.deepEqual(proc.stdoutLines, expected);
});
