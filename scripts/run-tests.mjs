// Runs every *.test.ts under marble-tests/ and test/ with node's test runner.
// Node 20 runs nothing when given a folder and does not expand `**`, so the
// files are listed here. Exits non-zero when a test fails or when none ran.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : ['marble-tests', 'test'].flatMap(testFiles);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  const passed = Number(/^# pass (\d+)/m.exec(tail)?.[1] ?? 0);
  const failed =
    Number(/^# fail (\d+)/m.exec(tail)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(tail)?.[1] ?? 0);
  if (passed + failed === 0) {
    console.error('run-tests: zero tests ran');
    process.exit(1);
  }
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
