// scripts/run-tests.mjs as `npm test` and CI run it, on small test files written
// for each case: its summary names every failed, cancelled and skipped test with
// the reason, and under CI a skip fails the run unless test/allowed-skips.json
// (here a file of the test's own, through MSINET_ALLOWED_SKIPS) lists it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-run-tests-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A test file with this body (node:test's `test`, `describe`, `before` in scope); its path. */
function testFile(body: string): string {
  const path = join(dir, `case${++files}.test.mjs`);
  writeFileSync(path, `import { test, describe, before } from 'node:test';\n${body}\n`);
  return path;
}

function allowList(skips: unknown[]): string {
  const path = join(dir, `allowed${++files}.json`);
  writeFileSync(path, JSON.stringify({ skips }));
  return path;
}

interface Run {
  code: number | null;
  /** The lines from the summary's heading on. */
  summary: string[];
  stdout: string;
}

/** Runs the runner on `paths` with `env` added (CI unset unless given). */
function runTests(paths: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT; // else the runner's node --test would report to us, not print
  if (!('CI' in env)) delete childEnv.CI;
  if (!('MSINET_ALLOWED_SKIPS' in env)) childEnv.MSINET_ALLOWED_SKIPS = allowList([]);
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...paths], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const lines = stdout.split('\n');
      const from = lines.findIndex((line) => line.startsWith('# ── summary'));
      resolve({ code, summary: from < 0 ? [] : lines.slice(from).filter(Boolean), stdout });
    }),
  );
}

const named = (path: string) => relative(REPO_ROOT, path);
/** node:test's runner and tsx start on a loaded 2-core machine in a few seconds; room to spare. */
const RUN = { timeout: 60_000 };

describe('scripts/run-tests.mjs', RUN, () => {
  test('keeps the TAP, then counts and names each failed, cancelled, skipped and todo test with its reason', async () => {
    const mixed = testFile(`
      describe('outer', () => {
        test('passes', () => {});
        test('breaks', () => { throw new Error('the reason it broke'); });
        test('waits for nothing', { skip: 'needs a MIDI device' }, () => {});
        test('later', { todo: 'not written yet' }, () => {});
      });
      describe('machine-bound', { skip: 'network namespaces need root' }, () => { test('inner', () => {}); });
      describe('set up badly', () => {
        before(() => { throw new Error('no lab today'); });
        test('never runs', () => {});
      });
    `);
    const run = await runTests([mixed]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /^TAP version 13$/m, 'the TAP comes first');
    const file = named(mixed);
    assert.deepEqual(run.summary, [
      '# ── summary ──',
      '# 1 passed, 2 failed, 1 cancelled, 2 skipped, 1 todo',
      '# failed:',
      `#   ${file} › outer › breaks — the reason it broke`,
      `#   ${file} › set up badly (suite) — failed running before hook: no lab today`,
      '# cancelled:',
      `#   ${file} › set up badly › never runs — test did not finish before its parent and was cancelled`,
      '# skipped:',
      `#   ${file} › outer › waits for nothing — needs a MIDI device`,
      `#   ${file} › machine-bound (suite) — network namespaces need root`,
      '# todo:',
      `#   ${file} › outer › later — not written yet`,
      '# result: FAILED — tests failed',
    ]);
  });

  test('a file that dies while loading is named with its error', async () => {
    const broken = testFile(
      `import { readFileSync } from 'node:fs'; readFileSync('/no/such/capture.jsonl');`,
    );
    const run = await runTests([broken, testFile(`test('fine', () => {});`)]);
    assert.equal(run.code, 1);
    assert.ok(
      run.summary.includes(
        `#   ${named(broken)} › (the file itself) — Error: ENOENT: no such file or directory, open '/no/such/capture.jsonl'`,
      ),
      run.summary.join('\n'),
    );
  });

  test('outside CI a skip with a reason passes; under CI it fails the run unless the allow-list has it', async () => {
    const skipping = testFile(`
      test('runs', () => {});
      describe('lab', () => { test('needs root', { skip: 'network namespaces need root' }, () => {}); });
    `);
    const entry = { file: named(skipping), test: 'lab › needs root' };

    const local = await runTests([skipping]);
    assert.equal(local.code, 0, local.stdout);
    assert.equal(local.summary.at(-1), '# result: ok');

    const ci = await runTests([skipping], { CI: 'true' });
    assert.equal(ci.code, 1, ci.stdout);
    assert.equal(
      ci.summary.at(-1),
      '# result: FAILED — 1 skipped under CI and not in test/allowed-skips.json (CI runs every test)',
    );

    const allowed = await runTests([skipping], {
      CI: 'true',
      MSINET_ALLOWED_SKIPS: allowList([{ ...entry, reason: 'CI machines have no MIDI device' }]),
    });
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.ok(
      allowed.summary.includes(
        `#   ${entry.file} › ${entry.test} — network namespaces need root (allowed in CI: CI machines have no MIDI device)`,
      ),
      allowed.summary.join('\n'),
    );
  });

  test('CI=false is not CI; an allow-list entry without a reason is refused before anything runs', async () => {
    const skipping = testFile(`test('a', () => {}); test('b', { skip: 'why not' }, () => {});`);
    assert.equal((await runTests([skipping], { CI: 'false' })).code, 0);
    const refused = await runTests([skipping], {
      MSINET_ALLOWED_SKIPS: allowList([{ file: named(skipping), test: 'b', reason: ' ' }]),
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout, /skips\[0\] needs a non-empty "reason"/);
    assert.doesNotMatch(refused.stdout, /TAP version/, 'nothing ran');
  });

  test('zero tests is a failure, in CI or not', async () => {
    const empty = testFile('// no tests here');
    for (const env of [{}, { CI: 'true' }] as Record<string, string>[]) {
      const run = await runTests([empty], env);
      assert.equal(run.code, 1, run.stdout);
      assert.equal(run.summary.at(-1), '# result: FAILED — zero tests ran');
    }
  });
});
