/**
 * Broadcast and unicast kept apart on a real two-station LAN (network
 * namespaces, see test/harness/lab.ts). Station B replays what an original
 * station sent in `test/fixtures/original-captures/lan.jsonl`: its HostID and its
 * port-255 Midi stream to the broadcast address, its main Midi stream to A.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { canUseNetns, Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { capturedPackets } from '../wire/golden.js';

const PORT = 4950;
const STATION = 'test/net/lan-station.ts';
const WAIT_MS = 15_000;

const captures = capturedPackets('lan').map(({ src, dst, bytes }) => ({
  src,
  dst,
  hex: bytes.toString('hex'),
}));

/** What the original station 10.66.0.1 sent: the first of its datagrams of `type` to `dst`. */
function sentByOriginal(type: number, dst: string): string {
  const typeHex = type.toString(16).padStart(2, '0');
  const found = captures.find(
    (c) => c.src === '10.66.0.1:4950' && c.dst === dst && c.hex.slice(6, 8) === typeHex,
  );
  if (found === undefined) throw new Error(`lan.jsonl has no type ${type} datagram to ${dst}`);
  return found.hex;
}

const HOST_ID = sentByOriginal(1, '10.66.0.255:4950');
const MIDI_MAIN_STREAM = sentByOriginal(5, '10.66.0.2:4950');
const MIDI_PORT_255_STREAM = sentByOriginal(5, '10.66.0.255:4950');

interface Received {
  datagram: string;
  from: { address: string; port: number };
  broadcast: boolean;
}

const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;

function datagrams(station: LineProcess): Received[] {
  return station.stdoutLines
    .map(parse)
    .filter((line): line is Record<string, unknown> & Received => 'datagram' in line);
}

async function startStation(lab: Lab, host: string): Promise<LineProcess> {
  const station = lab.spawnTypeScript(host, STATION, [lab.interfaceName(host), String(PORT)]);
  await station.waitForLine(/^\{"ready"/, WAIT_MS);
  return station;
}

/** Waits until `station` has printed a datagram with this payload. */
function receipt(station: LineProcess, hex: string): Promise<Received> {
  return station.waitUntil(
    () => datagrams(station).find((d) => d.datagram === hex),
    WAIT_MS,
    `datagram ${hex}`,
  );
}

const netns = canUseNetns();

describe('LAN endpoint across two network namespaces', { skip: netns.ok ? false : netns.why }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.start({ hosts: ['hostA', 'hostB'], subnet: '10.78.0' });
  });
  afterEach(async () => {
    await lab.reset();
  });
  after(async () => {
    await lab.stop();
  });

  test('tells an original station’s broadcast port-255 stream from its unicast stream, and never hears itself', async () => {
    const [a, b] = await Promise.all([startStation(lab, 'hostA'), startStation(lab, 'hostB')]);
    const addressA = lab.address('hostA');
    const addressB = lab.address('hostB');

    b.writeLine(JSON.stringify({ broadcast: HOST_ID }));
    b.writeLine(JSON.stringify({ send: MIDI_MAIN_STREAM, to: { address: addressA, port: PORT } }));
    b.writeLine(JSON.stringify({ broadcast: MIDI_PORT_255_STREAM }));
    a.writeLine(JSON.stringify({ broadcast: HOST_ID }));

    const fromB = { address: addressB, port: PORT };
    assert.deepEqual(await receipt(a, HOST_ID), { datagram: HOST_ID, from: fromB, broadcast: true });
    assert.deepEqual(await receipt(a, MIDI_MAIN_STREAM), {
      datagram: MIDI_MAIN_STREAM,
      from: fromB,
      broadcast: false,
    });
    assert.deepEqual(await receipt(a, MIDI_PORT_255_STREAM), {
      datagram: MIDI_PORT_255_STREAM,
      from: fromB,
      broadcast: true,
    });
    assert.deepEqual(await receipt(b, HOST_ID), {
      datagram: HOST_ID,
      from: { address: addressA, port: PORT },
      broadcast: true,
    });

    // Each heard its own broadcasts come back and dropped them: nothing from itself was printed.
    // A station's own copy may come back after the other station's: asked until it has (or WAIT_MS).
    for (const [station, self, ownBroadcasts] of [
      [a, addressA, 1],
      [b, addressB, 2],
    ] as const) {
      const deadline = Date.now() + WAIT_MS;
      let stats: Record<string, number>;
      do {
        const from = station.stdoutLines.length;
        station.writeLine(JSON.stringify({ stats: true }));
        const { line } = await station.waitForLine(/^\{"stats"/, WAIT_MS, { from });
        stats = parse(line).stats as Record<string, number>;
      } while ((stats.ownDropped ?? 0) < ownBroadcasts && Date.now() < deadline);
      assert.equal(stats.ownDropped, ownBroadcasts);
      assert.ok(datagrams(station).every((d) => d.from.address !== self));
    }
  });

  test('a second endpoint on the same port is refused; after closing, the port is free again', async () => {
    const first = await startStation(lab, 'hostA');
    const second = lab.spawnTypeScript('hostA', STATION, [lab.interfaceName('hostA'), String(PORT)]);
    await second.waitForLine(
      new RegExp(
        `^\\{"error":"another driver is already using UDP port ${PORT} on ${lab.address('hostA')}"\\}$`,
      ),
      WAIT_MS,
    );
    assert.equal((await second.exited).code, 1);

    first.writeLine(JSON.stringify({ close: true }));
    await first.waitForLine(/^\{"closed"/, WAIT_MS);
    // Ending by itself shows no socket kept the process alive.
    const exit = await first.waitUntil(() => (first.running ? undefined : true), WAIT_MS, 'exit after close');
    assert.equal(exit, true);
    assert.equal((await first.exited).code, 0);

    await startStation(lab, 'hostA');
  });
});
