// docs/operators.md's own operator, verbatim, as a user runs it: copied into a
// folder of its own (no node_modules, no package.json), loaded by the installed
// driver (dist/bin) with the command line the docs give, on hostB of a two-host
// lab; hostA plays to hostB and hostB's dump shows what the operator made of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, BUILT_DRIVER, BUILT_MSINET } from '../harness/built.js';
import { canUseNetns, Lab } from '../harness/lab.js';
import { REPO_ROOT } from '../harness/paths.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs/operators.md'), 'utf8');
const FIRST_LINE = '// transpose-up.ts: msInetDriver --inbound ./transpose-up.ts';

/** The fenced block that begins with `firstLine`. */
function example(firstLine: string): string {
  const start = DOC.indexOf(`\`\`\`ts\n${firstLine}\n`);
  assert.ok(start >= 0, `docs/operators.md shows ${firstLine}`);
  const body = DOC.slice(DOC.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf('\n```\n') + 1);
}

const netns = canUseNetns();
describe(
  'the transposition example of docs/operators.md',
  { skip: netns.ok ? false : netns.why, timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'msinet-operator-example-'));
    const socketOf = (host: string) => join(dir, `${host}.sock`);
    let lab: Lab;

    before(async () => {
      assertBuilt();
      writeFileSync(join(dir, 'transpose-up.ts'), example(FIRST_LINE));
      lab = await Lab.start({ hosts: ['hostA', 'hostB'], subnet: '10.77.65' });
    });
    after(async () => {
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('runs verbatim from a folder of its own: notes an octave up, one pushed past 127 dropped', async () => {
      // The command line of the example's first line, run in its folder.
      const args = FIRST_LINE.replace(/^.*msInetDriver /, '').split(' ');
      const driverB = lab.spawn(
        'hostB',
        process.execPath,
        [BUILT_DRIVER, ...args, '--socket', socketOf('hostB')],
        {
          hostname: 'hostB',
          cwd: dir,
        },
      );
      const driverA = lab.spawn('hostA', process.execPath, [BUILT_DRIVER, '--socket', socketOf('hostA')], {
        hostname: 'hostA',
      });
      await Promise.all(
        [driverA, driverB].map((d) => d.waitForLine(/local clients: /, 30_000, { stream: 'stderr' })),
      );
      const msinet = (host: string, rest: readonly string[]) => [
        BUILT_MSINET,
        '--socket',
        socketOf(host),
        ...rest,
      ];
      lab.spawn('hostA', process.execPath, msinet('hostA', ['dump']));
      const dump = lab.spawn('hostB', process.execPath, msinet('hostB', ['dump', '--json']));

      const sent = await lab.run(
        'hostA',
        process.execPath,
        msinet('hostA', [
          'send',
          '--to',
          'hostB',
          'keyOn:pitch=60:vel=100',
          'keyOn:pitch=120:vel=100',
          'ctrlChange:ctrl=7:value=90',
          'keyOff:pitch=60:vel=0',
        ]),
        { timeoutMs: 30_000 },
      );
      assert.equal(sent.code, 0, sent.stderr);
      const lines = await dump.waitUntil(
        () => (dump.stdoutLines.some((l) => l.includes('"keyOff"')) ? dump.stdoutLines : undefined),
        15_000,
        'the keyOff',
      );
      const events = lines.map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
      assert.deepEqual(
        events.map(({ type, pitch, ctrl }) => ({ type, pitch, ctrl })),
        [
          { type: 'keyOn', pitch: 72, ctrl: undefined },
          { type: 'ctrlChange', pitch: undefined, ctrl: 7 },
          { type: 'keyOff', pitch: 72, ctrl: undefined },
        ],
      );
      assert.equal(driverB.running, true);
    });
  },
);
