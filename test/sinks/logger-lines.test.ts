// The driver's log lines as an Observable (the page's log tail): what the
// logger writes, with its level, the last lines replayed to a late subscriber.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createDriverLogger, LOG_TAIL_LINES, type LogLine } from '../../src/sinks/logger.js';

const STAMPED = /^\[\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d\] /;

test('lines$ gives each line the logger writes, as written, with its level; below the level, none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-log-'));
  const file = join(dir, 'driver.log');
  const logger = createDriverLogger({ level: 'info', file });
  const seen: LogLine[] = [];
  logger.lines$.subscribe((line) => seen.push(line));
  logger.debug('not at this level');
  logger.info('hostA : connection complete [10.0.0.1]');
  logger.warn('local client: not JSON');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await logger.close();
  assert.deepEqual(
    seen.map(({ level, line }) => ({ level, text: line.replace(STAMPED, '') })),
    [
      { level: 'info', text: 'hostA : connection complete [10.0.0.1]' },
      { level: 'warn', text: 'warn: local client: not JSON' },
    ],
  );
  const written = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.deepEqual(
    seen.map((l) => l.line),
    written,
    'the same lines as the file',
  );
  rmSync(dir, { recursive: true, force: true });
});

test(`a late subscriber gets the last ${LOG_TAIL_LINES} lines first, then the new ones`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'msinet-log-'));
  const logger = createDriverLogger({ level: 'info', file: join(dir, 'driver.log') });
  for (let i = 0; i < LOG_TAIL_LINES + 50; i++) logger.info(`line ${i}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const tail = firstValueFrom(logger.lines$.pipe(take(LOG_TAIL_LINES + 1), toArray()));
  logger.info('new');
  const lines = (await tail).map((l) => l.line.replace(STAMPED, ''));
  assert.equal(lines[0], 'line 50');
  assert.equal(lines[LOG_TAIL_LINES - 1], `line ${LOG_TAIL_LINES + 49}`);
  assert.equal(lines[LOG_TAIL_LINES], 'new');
  await logger.close();
  rmSync(dir, { recursive: true, force: true });
});
