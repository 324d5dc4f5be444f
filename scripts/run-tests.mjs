// Runs every *.test.ts under marble-tests/ and test/ (or the files given) with node's
// test runner, prints its TAP, then a summary: the counts, and the name of every test
// that failed, was cancelled or was skipped, each skip with its reason.
//
// Exits non-zero when a test failed or was cancelled, or when none ran. Under CI
// (CI=true, set by .ci/run) a skip fails the run too, unless test/allowed-skips.json
// lists it with a reason: CI must run every test, not just the ones its machine allows.
//
// Node 20 runs nothing when given a folder and does not expand `**`, so the files are
// listed here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORTER = join(ROOT, 'scripts', 'test-results-reporter.mjs');
/** `MSINET_ALLOWED_SKIPS` points elsewhere (the runner's own tests). */
const ALLOWED_SKIPS = process.env.MSINET_ALLOWED_SKIPS ?? join(ROOT, 'test', 'allowed-skips.json');
const SEPARATOR = ' › ';

function testFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

/** CI=true (or 1, yes): any value but empty, 0 and false. */
export function isCi(value = process.env.CI) {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.trim().toLowerCase());
}

/** test/allowed-skips.json: `{ "skips": [{ "file", "test", "reason" }] }`; an entry without a reason is an error. */
export function readAllowedSkips(path = ALLOWED_SKIPS) {
  const { skips } = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(skips)) throw new Error(`${path}: "skips" must be an array`);
  for (const [i, entry] of skips.entries()) {
    for (const field of ['file', 'test', 'reason']) {
      if (typeof entry?.[field] !== 'string' || entry[field].trim() === '') {
        throw new Error(`${path}: skips[${i}] needs a non-empty "${field}"`);
      }
    }
  }
  return skips;
}

/**
 * The reporter's lines → one record per test and suite, each named by its path
 * (`suite › test`). A test finishes before its suite, so a suite takes as
 * children the results of deeper nesting that came just before it in its file.
 */
export function collectResults(lines, root = ROOT) {
  const results = [];
  const pendingByFile = new Map();
  /** The first error a file printed on stderr: why a file that died outside any test failed. */
  const firstError = new Map();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const raw = JSON.parse(line);
    const file = raw.file ? relative(root, raw.file) : '(unknown file)';
    if (raw.stderrError !== undefined) {
      if (!firstError.has(file)) firstError.set(file, raw.stderrError);
      continue;
    }
    // A file reports itself only when it has no test of its own: it crashed while loading, or holds none.
    if (raw.file && raw.name === raw.file) {
      raw.name = '(the file itself)';
      raw.fileLevel = true;
      if (raw.outcome === 'fail') raw.reason = firstError.get(file) ?? raw.reason;
    }
    const record = { ...raw, file, path: [raw.name], descendants: [] };
    const pending = pendingByFile.get(file) ?? [];
    pendingByFile.set(file, pending);
    while (pending.length > 0 && pending[pending.length - 1].nesting > raw.nesting) {
      const child = pending.pop();
      for (const member of [child, ...child.descendants]) {
        member.path.unshift(raw.name);
        record.descendants.push(member);
      }
    }
    pending.push(record);
    results.push(record);
  }
  return results.map(({ descendants: _descendants, path, ...rest }) => ({
    ...rest,
    test: path.join(SEPARATOR),
  }));
}

const CANCELLED = new Set(['cancelledByParent', 'testTimeoutFailure']);

/** Sorts results into what the summary counts. A skipped suite is one skip (its tests never ran). */
export function classify(results) {
  const groups = { passed: [], failed: [], cancelled: [], skipped: [], todo: [] };
  for (const r of results) {
    if (r.skip !== undefined && r.skip !== false) groups.skipped.push(r);
    else if (r.todo !== undefined && r.todo !== false) groups.todo.push(r);
    else if (r.outcome === 'fail' && CANCELLED.has(r.failureType)) groups.cancelled.push(r);
    // A suite fails because a test in it did (already listed), or on its own: a hook, or the file itself.
    else if (r.outcome === 'fail' && !(r.suite && r.failureType === 'subtestsFailed')) groups.failed.push(r);
    // A file that ran no test passes as a whole: that is no test passing.
    else if (r.outcome === 'pass' && !r.suite && !r.fileLevel) groups.passed.push(r);
  }
  return groups;
}

const reasonText = (value) => (typeof value === 'string' && value.trim() !== '' ? value : 'no reason given');

/** The summary's lines (TAP comments), and whether the run fails. */
export function summarize(groups, { ci = false, allowedSkips = [], exitCode = 0 } = {}) {
  const lines = [];
  const { passed, failed, cancelled, skipped, todo } = groups;
  lines.push('# ── summary ──');
  lines.push(
    `# ${passed.length} passed, ${failed.length} failed, ${cancelled.length} cancelled, ` +
      `${skipped.length} skipped, ${todo.length} todo`,
  );
  const allowed = (r) => allowedSkips.find((a) => a.file === r.file && a.test === r.test);
  const list = (title, items, detail) => {
    if (items.length === 0) return;
    lines.push(`# ${title}:`);
    for (const r of items)
      lines.push(`#   ${r.file}${SEPARATOR}${r.test}${r.suite ? ' (suite)' : ''} — ${detail(r)}`);
  };
  list('failed', failed, (r) => reasonText(r.reason));
  list('cancelled', cancelled, (r) => reasonText(r.reason));
  list('skipped', skipped, (r) => {
    const entry = allowed(r);
    return `${reasonText(r.skip)}${entry ? ` (allowed in CI: ${entry.reason})` : ''}`;
  });
  list('todo', todo, (r) => reasonText(r.todo));

  const problems = [];
  if (passed.length + failed.length + cancelled.length === 0) problems.push('zero tests ran');
  if (failed.length + cancelled.length > 0 || exitCode !== 0) problems.push('tests failed');
  if (ci) {
    const unexplained = skipped.filter((r) => !allowed(r));
    if (unexplained.length > 0) {
      problems.push(
        `${unexplained.length} skipped under CI and not in test/allowed-skips.json (CI runs every test)`,
      );
    }
  }
  lines.push(problems.length === 0 ? '# result: ok' : `# result: FAILED — ${problems.join('; ')}`);
  return { lines, ok: problems.length === 0 };
}

async function main() {
  const only = process.argv.slice(2);
  const files =
    only.length > 0 ? only : ['marble-tests', 'test'].flatMap((dir) => testFiles(join(ROOT, dir)));
  if (files.length === 0) {
    console.error('run-tests: no test files found');
    process.exit(1);
  }
  const ci = isCi();
  // Read before the run: a broken allow-list should not cost a whole run to find out.
  const allowedSkips = readAllowedSkips();
  const dir = mkdtempSync(join(tmpdir(), 'msinet-test-results-'));
  const resultsFile = join(dir, 'results.jsonl');

  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=tap',
      '--test-reporter-destination=stdout',
      `--test-reporter=${REPORTER}`,
      `--test-reporter-destination=${resultsFile}`,
      ...files,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exitCode = await new Promise((done) => child.on('close', (code) => done(code ?? 1)));
  let lines = [];
  try {
    lines = readFileSync(resultsFile, 'utf8').split('\n');
  } catch {
    // No results: the runner itself failed; the summary says zero tests ran.
  }
  rmSync(dir, { recursive: true, force: true });
  const summary = summarize(classify(collectResults(lines)), { ci, allowedSkips, exitCode });
  console.log(summary.lines.join('\n'));
  process.exit(summary.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
