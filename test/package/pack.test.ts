// The package as a new user gets it: `npm pack`, installed into a temporary prefix
// (npm install -g --prefix), then its programs run from there. It guards what
// package.json ships (dist, docs, contrib) and, with scripted MIDI ports
// (MSINET_MIDI_SYSTEM), that the installed driver bridges a MIDI port to a remote
// station (two hosts of a network-namespace lab) and back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { assertBuilt, runBuilt, startBuilt } from '../harness/built.js';
import { canUseNetns, Lab } from '../harness/lab.js';
import { REPO_ROOT } from '../harness/paths.js';
import { freePort, until } from '../cli/cli-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'msinet-pack-'));
const prefix = join(dir, 'prefix');
const installed = join(prefix, 'lib/node_modules/msinet');
const bin = (name: string) => join(prefix, 'bin', name);
const SCRIPTED = join(REPO_ROOT, 'test/fixtures/midi/scripted-system.mjs');
const npm = (args: readonly string[], cwd: string) =>
  execFileSync('npm', [...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });

before(() => {
  assertBuilt();
  // --ignore-scripts: pack what `npm run build` made, without rebuilding dist/ under other tests' feet.
  const packed = JSON.parse(
    npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO_ROOT),
  ) as {
    filename: string;
  }[];
  const tarball = join(dir, packed[0]?.filename ?? 'missing.tgz');
  npm(
    ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund'],
    dir,
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed package', { timeout: 300_000 }, () => {
  test('msInetDriver -v and msinet --help run from the install', async () => {
    const version = await runBuilt(bin('msInetDriver'), ['-v'], { command: [] });
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout,
      /^msInetDriver \(msinet\) \d+\.\d+\.\d+, MidiShare Internet driver protocol v1\n$/,
    );
    const help = await runBuilt(bin('msinet'), ['--help'], { command: [] });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: msinet /);
    assert.match(help.stdout, /^ {2}ports /m);
    const driverHelp = await runBuilt(bin('msInetDriver'), ['--help'], { command: [] });
    assert.equal(driverHelp.code, 0, driverHelp.stderr);
    assert.match(driverHelp.stdout, /^ {2}-lat <ms> /m);
    const toolVersion = await runBuilt(bin('msinet'), ['--version'], { command: [] });
    assert.equal(
      toolVersion.stdout,
      version.stdout.replace(/^msInetDriver \(msinet\) (\S+),.*\n$/, 'msinet $1\n'),
    );
  });

  test('the installed driver loads a TypeScript operator kept in a folder of its own', async () => {
    const operator = join(dir, 'user-folder', 'velocity.ts');
    mkdirSync(dirname(operator), { recursive: true });
    writeFileSync(operator, "import { map } from 'rxjs';\nexport default map((e: { vel?: number }) => e);\n");
    const driver = startBuilt(
      bin('msInetDriver'),
      ['--inbound', operator, '-p', String(await freePort()), '--socket', join(dir, 'operator.sock')],
      { command: [] },
    );
    try {
      await driver.waitForLine(/local clients: /, 60_000, { stream: 'stderr' });
    } finally {
      await driver.kill('SIGTERM');
    }
  });

  test('ships the documents, the license, the man pages and the systemd unit, and no tests', () => {
    for (const file of [
      'README.md',
      'LICENSE',
      'docs/midi.md',
      'docs/local-protocol.md',
      'contrib/msinet.service',
    ]) {
      assert.ok(existsSync(join(installed, file)), `${file} is in the package`);
    }
    // npm links the pages of package.json's `man` field where man looks for them.
    for (const page of ['msInetDriver.1', 'msinet.1']) {
      assert.ok(existsSync(join(prefix, 'share/man/man1', page)), `${page} is installed`);
    }
    const unit = readFileSync(join(installed, 'contrib/msinet.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    assert.match(execStart, /\bmsInetDriver\b/, 'the unit runs the driver');
    assert.doesNotMatch(execStart, /\s-d\b/, 'in the foreground: systemd does the detaching');
    assert.equal(existsSync(join(installed, 'test')), false);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  test(
    'systemd takes the unit as it is (systemd-analyze verify)',
    { skip: analyze.error === undefined ? false : 'systemd-analyze is not installed' },
    () => {
      const verified = spawnSync('systemd-analyze', ['verify', join(installed, 'contrib/msinet.service')], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(verified.status, 0, verified.stderr);
      assert.equal(verified.stderr.trim(), '', 'no warnings');
    },
  );

  const netns = canUseNetns();
  test(
    'bridges a MIDI port to a remote station and back (scripted ports)',
    { skip: netns.ok ? false : netns.why },
    async () => {
      const lab = await Lab.start({ hosts: ['hostA', 'hostB'], subnet: '10.77.42' });
      try {
        const synthLog = join(dir, 'synth.log');
        const env = { MSINET_MIDI_SYSTEM: SCRIPTED, MSINET_SCRIPTED_MIDI_LOG: synthLog };
        const [sockA, sockB] = [join(dir, 'a.sock'), join(dir, 'b.sock')];
        const driverA = lab.spawn(
          'hostA',
          bin('msInetDriver'),
          ['--socket', sockA, '--midi-in', 'keyboard', '--midi-out', 'synth'],
          {
            hostname: 'hostA',
            env,
          },
        );
        const driverB = lab.spawn('hostB', bin('msInetDriver'), ['--socket', sockB], { hostname: 'hostB' });
        await driverA.waitForLine(/MIDI output 'Scripted Synth 24:0' bridged/, 30_000, { stream: 'stderr' });
        await driverB.waitForLine(/local clients: /, 30_000, { stream: 'stderr' });

        // In: the keyboard on hostA plays; a dump on hostB hears it from station hostA.
        const dump = lab.spawn('hostB', bin('msinet'), ['--socket', sockB, 'dump', '--json']);
        const line = await dump.waitForLine(/"from":"hostA".*"keyOn"/, 30_000);
        const heard = JSON.parse(line.line) as { event: Record<string, unknown> };
        assert.deepEqual(
          { type: heard.event.type, pitch: heard.event.pitch, vel: heard.event.vel },
          { type: 'keyOn', pitch: 60, vel: 100 },
        );

        // Out: hostB plays to hostA; hostA's synth gets the bytes.
        const sent = await lab.run(
          'hostB',
          bin('msinet'),
          ['--socket', sockB, 'send', '--to', 'hostA', 'keyOn:chan=3:pitch=67:vel=99'],
          {
            timeoutMs: 30_000,
          },
        );
        assert.equal(sent.code, 0, sent.stderr);
        await until(
          () => existsSync(synthLog) && readFileSync(synthLog, 'utf8').includes('\t934363'),
          'the synth on hostA to play',
        );
      } finally {
        await lab.stop();
      }
    },
  );
});
