/**
 * What msinet prints for people: a status that reads as sentences, a client
 * list that says why no station is listed, a not-found that tells the truth.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatClients, formatStatus } from '../../src/tool/format.js';
import { notFound } from '../../src/tool/wait-for-client.js';
import { deliveryText } from '../../src/wire/delivery-text.js';
import type { ClientJson } from '../../src/wire/local-protocol.js';

const driver: ClientJson = { ref: 0, name: 'msLANDriver', kind: 'driver' };
const hostB: ClientJson = { ref: 1, name: 'hostB', kind: 'remote', address: '10.0.0.2' };

describe('msinet output for people', () => {
  test('status: awake or asleep, mode and timing, each station with its statistics, the bad input counted', () => {
    const text = formatStatus({
      awake: true,
      locals: 1,
      mode: 'lan',
      port: 4950,
      maxLatency: 10,
      grouping: 10,
      remotes: [
        {
          ref: 1,
          name: 'hostB',
          address: '10.0.0.2',
          stats: {
            offset: -17.3537,
            transit: 0.2127,
            maxTransit: 9.36,
            late: 0,
            missing: 1,
            duplicates: 2,
            eventsIn: 543,
            packetsIn: 283,
            eventsOut: 5,
            packetsOut: 2,
          },
        },
      ],
      problems: { 'bad packet from 10.0.0.3': 7 },
    });
    assert.equal(
      text,
      [
        'awake, LAN mode, port 4950, -lat 10 ms, -g 10 ms',
        'local clients: 1',
        'stations: 1',
        '  hostB 10.0.0.2: offset -17.35 ms, transit 0.21 ms (max 9.36 ms), late 0, missing 1, duplicates 2, in 543 events/283 packets, out 5/2',
        'bad input counted: 7',
        '  bad packet from 10.0.0.3: 7',
      ].join('\n'),
    );
  });

  test('a sleeping driver says it sleeps, why no station is listed, and what wakes it', () => {
    const clients = formatClients([driver], [], { awake: false, remotes: [] });
    assert.match(clients, /^ {2}0 {2}driver {2}msLANDriver\nthe driver sleeps: no local client is open/);
    assert.match(clients, /`msinet dump` or `msinet send` wakes it/);
    assert.match(
      formatStatus({ awake: false, locals: 0, mode: 'lan', port: 4950, remotes: [] }),
      /^asleep, LAN mode, port 4950\n/,
    );
  });

  test('an awake driver with no station says so; one with stations adds nothing', () => {
    assert.match(formatClients([driver], [], { awake: true, remotes: [] }), /\nno station seen \(same LAN/);
    assert.doesNotMatch(
      formatClients([driver, hostB], [], { awake: true, remotes: [hostB] }),
      /no station|sleeps/,
    );
  });

  test('not found: the stations seen, or why none were', () => {
    assert.equal(notFound('hostX', [driver, hostB], false), "no client named 'hostX'; stations seen: hostB");
    assert.equal(
      notFound('hostX', [driver], true),
      "no client named 'hostX', and no station seen in the 3 s since this command woke the driver (same LAN and port -p on the others? are they awake?)",
    );
  });
});

test('dump prints the delivery time to the µs, not the float the clock gave', () => {
  assert.equal(
    deliveryText({ time: 30329.868633000002, from: 'hostA', event: { type: 'start', port: 0, chan: 0 } }),
    '30329.869 ms  hostA  start (port 0)',
  );
});
