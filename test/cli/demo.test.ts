// `npm run demo` as a newcomer runs it: two WAN stations on loopback, a
// melody from one to the other. It must deliver every note at about
// G + maxLat after it was sent, exit 0, and leave no process or file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { assertBuilt, childEnv } from '../harness/built.js';
import { LineProcess } from '../harness/line-process.js';
import { REPO_ROOT } from '../harness/paths.js';

/** Start-up of two drivers and two tools on a loaded 2-core machine, a 4 s melody, with room to spare. */
const DEMO_TIMEOUT_MS = 90_000;
/** How far past G + maxLat a note may come on a loaded machine: the tools' pipes and waits for a core. */
const LATE_ALLOWANCE_MS = 1_000;
/** The event's date is taken after the demo stamps its send; only the clock reference can make it look early. */
const EARLY_ALLOWANCE_MS = 2;

/** Pids of the processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

test('npm run demo delivers every note of its melody at G + maxLat, exits 0 and leaves nothing behind', async () => {
  assertBuilt();
  const child = spawn('npm', ['run', 'demo'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    detached: true,
    env: childEnv(),
  });
  const demo = new LineProcess(child, 'npm run demo');
  demo.closeStdin();
  const timer = setTimeout(() => void demo.kill('SIGKILL'), DEMO_TIMEOUT_MS);
  const exit = await demo.exited;
  clearTimeout(timer);
  const output = demo.stdoutLines.join('\n');
  assert.equal(exit.code, 0, `exit ${String(exit.code)}\n${demo.tail()}`);

  const constant = /G \+ maxLat = (\d+) \+ (\d+) = (\d+) ms/.exec(output);
  assert.ok(constant, `the demo says what delay to expect\n${output}`);
  const expected = Number(constant[3]);
  assert.equal(expected, Number(constant[1]) + Number(constant[2]));

  const notes = [...output.matchAll(/note +(\d+)\/(\d+) .* delivered ([\d.]+) ms after it was sent/g)];
  const total = Number(notes[0]?.[2]);
  assert.ok(total >= 8, `a melody, not a note or two: ${total}`);
  assert.deepEqual(
    notes.map((n) => Number(n[1])),
    Array.from({ length: total }, (_, i) => i + 1),
    'every note printed once, in order',
  );
  assert.match(output, new RegExp(`${total} of ${total} notes delivered`));
  const delays = notes.map((n) => Number(n[3]));
  for (const delay of delays) {
    assert.ok(
      delay >= expected - EARLY_ALLOWANCE_MS && delay <= expected + LATE_ALLOWANCE_MS,
      `a delay of ${delay} ms, expected about ${expected}: ${delays.join(', ')}`,
    );
  }

  // Its stations and tools are gone, and so is the folder of their sockets.
  const folder = /--socket (\S+)\/b\.sock/.exec(output)?.[1];
  assert.ok(folder, 'the demo shows the commands it runs');
  assert.equal(existsSync(folder), false, `${folder} is left behind`);
  assert.deepEqual(processesMentioning(folder), [], `processes of the demo still run`);
});
