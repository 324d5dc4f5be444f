// parseDriverArgs (src/cli.ts) as a table: each command line of msInetDriver
// (SPEC §2), the historical single-dash forms included, and the configuration
// it starts, or the error that refuses it. Every flag is in it at least once,
// with its bad values. A process test of each flag is in driver-flags.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { driverHelp } from '../../src/cli-flags.js';
import { parseDriverArgs } from '../../src/cli.js';
import type { Config } from '../../src/model/config.js';

/** What `msInetDriver` with no flag runs: a LAN driver on 4950, -lat 10, -g 10. */
const LAN: Config = {
  mode: 'lan',
  port: 4950,
  maxLatency: 10,
  grouping: 10,
  daemon: false,
  logFile: '/var/log/msInetDriver.log',
  hosts: [],
  maxClients: 32,
  late: 'play',
  lingerMs: 30_000,
  socket: undefined,
  logLevel: 'info',
  interface: undefined,
  midi: false,
  midiIn: [],
  midiOut: [],
  inbound: [],
  outbound: [],
};
/** `-s`: WAN defaults (SPEC §2: port 4951, -lat 1500, -g 200). */
const WAN: Config = { ...LAN, mode: 'wan', port: 4951, maxLatency: 1500, grouping: 200 };

const runs: [string, Config][] = [
  ['', LAN],
  ['-p 5000', { ...LAN, port: 5000 }],
  ['-p 1', { ...LAN, port: 1 }],
  ['-p 65535', { ...LAN, port: 65535 }],
  ['-p 5000 -p 6000', { ...LAN, port: 6000 }],
  ['-lat 20', { ...LAN, maxLatency: 20 }],
  ['--lat 20', { ...LAN, maxLatency: 20 }],
  ['-lat 0', { ...LAN, maxLatency: 0 }],
  ['-lat 60000', { ...LAN, maxLatency: 60000 }],
  ['-g 5', { ...LAN, grouping: 5 }],
  ['-g 1', { ...LAN, grouping: 1 }],
  ['-lat 20 -g 5 -p 4960', { ...LAN, maxLatency: 20, grouping: 5, port: 4960 }],
  ['-d', { ...LAN, daemon: true }],
  ['-d -log /tmp/msinet.log', { ...LAN, daemon: true, logFile: '/tmp/msinet.log' }],
  ['-log /tmp/msinet.log', { ...LAN, logFile: '/tmp/msinet.log' }],
  ['-s', WAN],
  ['-s hostB', { ...WAN, hosts: [{ host: 'hostB' }] }],
  ['-s hostB hostC:5000', { ...WAN, hosts: [{ host: 'hostB' }, { host: 'hostC', port: 5000 }] }],
  ['-s 10.0.0.2:4951 -p 4952', { ...WAN, port: 4952, hosts: [{ host: '10.0.0.2', port: 4951 }] }],
  ['-s [::1]:4951', { ...WAN, hosts: [{ host: '[::1]', port: 4951 }] }],
  ['-s -lat 800', { ...WAN, maxLatency: 800 }],
  ['-s -m 5', { ...WAN, maxClients: 5 }],
  ['-m 10000', { ...LAN, maxClients: 10000 }],
  ['--socket /tmp/d.sock', { ...LAN, socket: '/tmp/d.sock' }],
  ['--late drop', { ...LAN, late: 'drop' }],
  ['--late play', { ...LAN, late: 'play' }],
  ['--linger 0', { ...LAN, lingerMs: 0 }],
  ['--linger 2.5', { ...LAN, lingerMs: 2500 }],
  ['--socket-group audio', { ...LAN, socketGroup: 'audio' }],
  ['--interface eth0', { ...LAN, interface: 'eth0' }],
  ['--interface 192.168.1.20', { ...LAN, interface: '192.168.1.20' }],
  ['--bind 192.168.1.20', { ...LAN, interface: '192.168.1.20' }],
  ['--interface eth0 --bind 10.0.0.1', { ...LAN, interface: 'eth0' }],
  ['--verbose', { ...LAN, logLevel: 'debug' }],
  ['--quiet', { ...LAN, logLevel: 'warn' }],
  ['--midi', { ...LAN, midi: true }],
  ['--midi-in a --midi-in b --midi-out c', { ...LAN, midiIn: ['a', 'b'], midiOut: ['c'] }],
  [
    '--inbound x.js --inbound y.ts --outbound z.js',
    { ...LAN, inbound: ['x.js', 'y.ts'], outbound: ['z.js'] },
  ],
];

/** Each refused line: a pattern its one-line reason must match (the flag, then the value). */
const refusals: [string, RegExp][] = [
  ['-p 0', /^-p: 0 is out of range 1–65535$/],
  ['-p 65536', /^-p: 65536 is out of range 1–65535$/],
  ['-p abc', /^-p: .*'abc'/],
  ['-p 12.5', /^-p: .*'12\.5'/],
  ['-p', /^-p: needs a value \(-p <port>\)$/],
  ['--linger soon', /^--linger: expected seconds \(a number ≥ 0\), got 'soon'$/],
  ['-lat -1', /^-lat\b.*-1/],
  ['-lat 60001', /^-lat: 60001 is out of range 0–60000$/],
  ['-lat x', /^-lat: .*'x'/],
  ['-g 0', /^-g: 0 is out of range 1–60000$/],
  ['-g 1e3', /^-g: .*'1e3'/],
  ['-m 0', /^-m: 0 is out of range 1–10000$/],
  ['-s hostB:0', /^-s: 0 is out of range 1–65535$/],
  ['-s hostB:http', /^-s: 'hostB:http' is not a host or host:port$/],
  ['--late later', /^--late: expected 'play' or 'drop', got 'later'$/],
  ['--verbose --quiet', /^--verbose and --quiet exclude each other$/],
  ['--bogus', /bogus/],
  ['-x', /\bx\b/],
  ['stray', /\bstray\b/],
  ['-lat 20 stray', /\bstray\b/],
];

const argv = (line: string) => (line === '' ? [] : line.split(' '));

describe('parseDriverArgs', () => {
  for (const [line, config] of runs) {
    test(`msInetDriver ${line || '(no flag)'}`, () => {
      // defaultLog: no -log given, so the daemon may choose where it writes.
      const defaultLog = !argv(line).includes('-log');
      assert.deepEqual(parseDriverArgs(argv(line)), { kind: 'run', config, defaultLog });
    });
  }

  for (const [line, reason] of refusals) {
    test(`msInetDriver ${line}: refused`, () => {
      const parsed = parseDriverArgs(argv(line));
      assert.equal(parsed.kind, 'error', JSON.stringify(parsed));
      if (parsed.kind !== 'error') return;
      assert.match(parsed.reason, reason);
      assert.ok(!parsed.reason.includes('\n'), 'one line');
      assert.match(parsed.usage, /^usage: msInetDriver /);
    });
  }

  test('-v asks for the version, --help for the usage with every flag, whatever else is given', () => {
    assert.deepEqual(parseDriverArgs(['-v']), { kind: 'version' });
    assert.deepEqual(parseDriverArgs(['-p', '5000', '-v']), { kind: 'version' });
    assert.deepEqual(parseDriverArgs(['--help', '-p', '5000']), { kind: 'help' });
    const help = { text: driverHelp({ uid: 0, home: '/root' }, 200) };
    assert.match(help.text, /^usage: msInetDriver /);
    for (const flag of [
      '-p',
      '-lat',
      '-g',
      '-d',
      '-log',
      '-s',
      '-m',
      '-v',
      '--socket',
      '--late',
      '--interface',
      '--linger',
      '--socket-group',
    ]) {
      assert.ok(help.text.includes(`[${flag}`), `the usage shows ${flag}`);
    }
  });

  test('the historical single-dash forms are one flag each, not groups of letters', () => {
    // yargs would read -lat as -l -a -t, and -log as -l -o -g (setting -g), without its parser option.
    const parsed = parseDriverArgs(['-log', '/tmp/x.log', '-lat', '30']);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    assert.equal(parsed.config.logFile, '/tmp/x.log');
    assert.equal(parsed.config.maxLatency, 30);
    assert.equal(parsed.config.grouping, 10, '-log does not set -g');
  });
});
