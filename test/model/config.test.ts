import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LOG_FILE, defaultLogFile } from '../../src/model/config.js';

describe('the default log file', () => {
  test("root keeps the original's /var/log/msInetDriver.log", () => {
    assert.equal(defaultLogFile({ uid: 0, home: '/root' }), '/var/log/msInetDriver.log');
    assert.equal(DEFAULT_LOG_FILE, '/var/log/msInetDriver.log');
  });

  test('another user gets the XDG state folder: $XDG_STATE_HOME/msinet, else ~/.local/state/msinet', () => {
    assert.equal(
      defaultLogFile({ uid: 1000, home: '/home/ann' }),
      '/home/ann/.local/state/msinet/msInetDriver.log',
    );
    assert.equal(
      defaultLogFile({ uid: 1000, home: '/home/ann', stateHome: '/var/state/ann' }),
      '/var/state/ann/msinet/msInetDriver.log',
    );
    // The XDG rule: a relative path in the variable is ignored.
    assert.equal(
      defaultLogFile({ uid: 1000, home: '/home/ann', stateHome: 'state' }),
      '/home/ann/.local/state/msinet/msInetDriver.log',
    );
  });
});
