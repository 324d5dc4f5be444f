// The help and the usage errors of both tools, as users run them (the built,
// bundled dist/bin programs): every flag with its meaning and default, the
// original's single-dash forms, --version, each error said once, and a help
// page that fits the terminal it is printed in without cutting a word.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { driverFlags } from '../../src/cli-flags.js';
import { GLOBAL_FLAGS, TOOL_COMMANDS } from '../../src/tool/commands.js';
import { assertBuilt, BUILT_DRIVER, BUILT_MSINET, runBuilt } from '../harness/built.js';

before(() => assertBuilt());

const owner = { uid: process.getuid?.(), home: homedir() };
const driver = (args: readonly string[]) => runBuilt(BUILT_DRIVER, args, { env: { XDG_STATE_HOME: '' } });
const msinet = (args: readonly string[]) => runBuilt(BUILT_MSINET, args);
const ACTIONS = /print (this help|the version) and exit/;

describe('msInetDriver --help', () => {
  test('shows every flag, the original’s single-dash forms first, each with its meaning and default', async () => {
    const { code, stdout, stderr } = await driver(['--help']);
    assert.equal(code, 0, stderr);
    for (const form of [
      '-p <port>',
      '-lat <ms>',
      '-g <ms>',
      '-s [host[:port] ...]',
      '-m <n>',
      '-d',
      '-log <file>',
      '-v, --version',
    ]) {
      assert.match(stdout, new RegExp(`^  ${form.replace(/[[\].*]/g, '\\$&')}  `, 'm'), `the row of ${form}`);
    }
    for (const flag of driverFlags(owner)) {
      assert.ok(stdout.includes(`  ${flag.term}`), `${flag.term} has a row`);
      assert.ok(
        ACTIONS.test(flag.meaning) || /\(default: [^)]+\)$/.test(flag.meaning),
        `${flag.term} says its default`,
      );
    }
    assert.match(
      stdout.replace(/\s+/g, ' '),
      /\(default: 10, WAN 1500\)/,
      '-lat: the defaults of both modes',
    );
  });

  test('-v and --version print the version; msinet --version prints the same one', async () => {
    const [v, version, tool] = await Promise.all([
      driver(['-v']),
      driver(['--version']),
      msinet(['--version']),
    ]);
    assert.match(
      v.stdout,
      /^msInetDriver \(msinet\) (\d+\.\d+\.\d+), MidiShare Internet driver protocol v1\n$/,
    );
    assert.equal(version.stdout, v.stdout);
    assert.equal(tool.stdout, `msinet ${/\) (\S+),/.exec(v.stdout)?.[1]}\n`);
    for (const run of [v, version, tool]) assert.equal(run.code, 0);
  });
});

describe('msinet --help', () => {
  test('shows every command, and every flag with its meaning and default', async () => {
    const { code, stdout, stderr } = await msinet(['--help']);
    assert.equal(code, 0, stderr);
    for (const command of TOOL_COMMANDS) {
      assert.match(stdout, new RegExp(`^  ${command.name}\\b`, 'm'), `the row of ${command.name}`);
      for (const flag of command.flags) {
        assert.ok(stdout.includes(`  ${flag.term}  `), `${command.name} ${flag.term} has a row`);
        assert.match(
          flag.meaning,
          /\((default: [^)]+|required)\)$/,
          `${command.name} ${flag.term} says its default`,
        );
      }
    }
    for (const flag of GLOBAL_FLAGS) {
      assert.ok(stdout.includes(`  ${flag.term}  `), `${flag.term} has a row`);
      assert.ok(
        ACTIONS.test(flag.meaning) || /\(default: [^)]+\)$/.test(flag.meaning),
        `${flag.term} says its default`,
      );
    }
  });

  test('a command’s own help answers even when the rest of its line is wrong', async () => {
    const { code, stdout } = await msinet(['send', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: msinet send --to <client> /);
    assert.match(stdout, /keyOn:chan=0:pitch=60:vel=100/);
    assert.doesNotMatch(stdout, /Flags of dump/);
  });
});

describe('usage errors', { timeout: 120_000 }, () => {
  const cases: { tool: 'msinet' | 'msInetDriver'; args: string[]; reason: RegExp }[] = [
    { tool: 'msinet', args: ['send', 'keyOn:pitch=60:vel=1'], reason: /Missing required argument: to/ },
    { tool: 'msinet', args: ['bogus'], reason: /unknown command 'bogus'/ },
    { tool: 'msinet', args: ['connect', 'a'], reason: /connect: needs <src> <dst>/ },
    { tool: 'msinet', args: ['clients', '-p'], reason: /-p: needs a value, a port 1–65535/ },
    { tool: 'msinet', args: [], reason: /a command is needed/ },
    { tool: 'msInetDriver', args: ['-p'], reason: /^-p: needs a value \(-p <port>\)$/ },
    { tool: 'msInetDriver', args: ['-p', 'x'], reason: /^-p: expected a whole number 1–65535, got 'x'$/ },
    { tool: 'msInetDriver', args: ['-lat', ''], reason: /^-lat: needs a value/ },
    { tool: 'msInetDriver', args: ['-log'], reason: /^-log: needs a value \(-log <file>\)$/ },
    { tool: 'msInetDriver', args: ['-d', '-log'], reason: /^-log: needs a value/ },
    { tool: 'msInetDriver', args: ['--bogus'], reason: /bogus/ },
  ];
  test('each is one line naming what is wrong, then one usage line; exit 1, nothing on stdout', async () => {
    const results = await Promise.all(
      cases.map(({ tool, args }) => (tool === 'msinet' ? msinet(args) : driver(args))),
    );
    for (const [i, { code, stdout, stderr }] of results.entries()) {
      const { tool, args, reason } = cases[i] as (typeof cases)[number];
      const what = `${tool} ${args.join(' ')}`;
      const lines = stderr.trimEnd().split('\n');
      assert.equal(code, 1, `${what}: exit 1`);
      assert.equal(stdout, '', `${what}: nothing on stdout`);
      assert.equal(lines.length, 2, `${what}: two lines, the reason and the usage: ${stderr}`);
      const [said = '', usage = ''] = lines;
      assert.ok(said.startsWith(`${tool}: `), `${what}: the reason first`);
      assert.match(said.slice(tool.length + 2), reason, what);
      assert.match(usage, new RegExp(`^usage: ${tool} `), `${what}: then the usage`);
      assert.doesNotMatch(said, /≥ 0/, `${what}: no range that is not the flag's`);
    }
  });
});

// util-linux's `script` runs the command on a pseudo-terminal of the width `stty` sets.
const script = spawnSync('script', ['--version'], { stdio: 'ignore' });
describe(
  'help in a terminal',
  { skip: script.error === undefined ? false : 'util-linux script is not installed' },
  () => {
    const inTerminal = (columns: number, bin: string): string => {
      const run = spawnSync(
        'script',
        ['-qec', `stty cols ${columns} rows 50; exec "${process.execPath}" "${bin}" --help`, '/dev/null'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.replace(/\r\n/g, '\n');
    };
    const words = (text: string) => text.split(/\s+/).filter((w) => w !== '');

    for (const bin of [BUILT_MSINET, BUILT_DRIVER]) {
      test(`${bin.endsWith('msinet.js') ? 'msinet' : 'msInetDriver'} --help: laid out for 37 and 200 columns, no word cut`, async () => {
        const plain = await runBuilt(bin, ['--help']);
        for (const columns of [37, 200]) {
          const page = inTerminal(columns, bin);
          assert.deepEqual(
            words(page),
            words(plain.stdout),
            `${columns} columns: the same words as in a pipe`,
          );
          for (const line of page.split('\n')) {
            assert.ok(
              line.length <= columns || words(line).length === 1,
              `${columns} columns: '${line}' fits`,
            );
          }
          if (columns === 200)
            assert.ok(
              page.split('\n').some((line) => line.length > 100),
              'the width is used',
            );
        }
      });
    }
  },
);
