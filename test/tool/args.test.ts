/** msinet's command line (SPEC §2): the exact forms scripts rely on. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSocketPath } from '../../src/sources/socket-path.js';
import { parseMsinetArgs } from '../../src/tool/args.js';

const command = (argv: string[]) => {
  const parsed = parseMsinetArgs(argv);
  assert.equal(parsed.kind, 'run', JSON.stringify(parsed));
  return parsed.kind === 'run' ? parsed : assert.fail();
};

describe('msinet arguments', () => {
  test('send keeps every event given on the command line, in order', () => {
    const events = ['keyOn:chan=0:pitch=60:vel=100', 'sysEx:data=1,2,3', 'keyOff:pitch=60:vel=0:port=255'];
    assert.deepEqual(command(['send', '--to', 'hostB', ...events]).command, {
      kind: 'send',
      to: 'hostB',
      json: false,
      events,
      name: 'msinet-send',
    });
  });

  test('--socket before or after the subcommand; a flag given twice: the last counts', () => {
    assert.deepEqual(command(['--socket', '/tmp/x.sock', 'clients']).socket, { path: '/tmp/x.sock' });
    assert.deepEqual(command(['clients', '--socket', '/tmp/y.sock']).socket, { path: '/tmp/y.sock' });
    // Neither --socket nor -p: the LAN driver's endpoint, else the WAN driver's.
    assert.deepEqual(command(['clients']).socket, {
      path: defaultSocketPath(4950),
      orElse: defaultSocketPath(4951),
    });
    assert.deepEqual(command(['clients', '-p', '4950']).socket, { path: defaultSocketPath(4950) });
    const twice = command(['send', '--to', 'a', '--to', 'b', '--json', '--json']).command;
    assert.deepEqual(twice.kind === 'send' ? [twice.to, twice.json] : [], ['b', true]);
  });
});
