// `--http <port>` and `--http-bind <address>` (SPEC §12): off by default,
// checked like the other flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDriverArgs } from '../../src/cli.js';

const config = (argv: string[]) => {
  const parsed = parseDriverArgs(argv);
  assert.equal(parsed.kind, 'run', JSON.stringify(parsed));
  return parsed.kind === 'run' ? parsed.config : undefined;
};
const reason = (argv: string[]) => {
  const parsed = parseDriverArgs(argv);
  return parsed.kind === 'error' ? parsed.reason : `parsed as ${parsed.kind}`;
};

test('no web unless --http is given', () => {
  const plain = config([]);
  assert.equal(plain?.http, undefined);
  assert.equal(plain?.httpBind, undefined);
});

test('--http takes a port; --http-bind an address, with --http', () => {
  assert.equal(config(['--http', '8080'])?.http, 8080);
  assert.deepEqual(
    (({ http, httpBind }) => ({ http, httpBind }))(config(['--http', '8080', '--http-bind', '0.0.0.0'])!),
    { http: 8080, httpBind: '0.0.0.0' },
  );
  assert.equal(config(['-lat', '20', '--http', '9000', '--http-bind', '::'])?.httpBind, '::');
});

test('bad values are refused with the flag named', () => {
  assert.match(reason(['--http', '0']), /--http: 0 is out of range 1–65535/);
  assert.match(reason(['--http', 'web']), /--http: expected a whole number/);
  assert.match(reason(['--http', '70000']), /out of range/);
  assert.match(reason(['--http-bind', '0.0.0.0']), /--http-bind: give --http <port> with it/);
  assert.match(
    reason(['--http', '8080', '--http-bind', 'example.org']),
    /--http-bind: expected an IP address/,
  );
});
