// Driver flags and packets whose effect only shows on the wire, against real
// msInetDriver processes in a lab: a raw version-1 station
// (test/harness/raw-station.ts: plain Buffer writes, nothing shared with
// msinet's codec) on host b; three drivers, each read only through `msinet`:
//
//   hostA  --late drop  --interface eth0   (a second interface beside eth0)
//   hostC  --late play  --bind <its eth0 address>  (a second interface too)
//   hostD  --inbound and --outbound octave-up.ts  (a second interface, no narrowing)
//
// - --late: a packet dated 500 ms before it left (much later than -lat 10) is
//   dropped by hostA, played at once by hostC; on-time events around it
//   arrive at both.
// - Echo: a version-1 Echo gets its 8 bytes back in an EchoReply; a short
//   one gets nothing and is counted.
// - --interface / --bind narrow the interfaces a driver announces on.
// - --inbound / --outbound: a user's operator module transposes what comes in
//   and what goes out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { canUseNetns, Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';
import { startRawStation, type RawStationProcess } from '../harness/raw-station-process.js';
import {
  noteBytes,
  PACKET_TYPE,
  packetHeader,
  splitEvents,
  type ReceivedPacket,
} from '../harness/raw-station.js';
import { Station, type Delivery } from './lan-stations.js';

const SUBNET = '10.83.0';
const RAW = 'rawB';
/** How much earlier than its sending a late packet is dated: far past -lat 10 (SPEC §4). */
const LATE_BY_MS = 500;
const REMOTE_TIMEOUT_MS = 15_000;
const DELIVERY_TIMEOUT_MS = 5_000;
/** After the awaited event, a moment more: events due at about the same time print in any order. */
const SETTLE_MS = 300;
const OCTAVE_UP = 'test/fixtures/operators/octave-up.ts';

/** A marker note: `note` events end by themselves, so the stuck-note guard adds nothing for them. */
const marker = (chan: number, pitch: number) => noteBytes({ pitch, vel: 100, dur: 50, chan });

const netns = canUseNetns();

describe(
  'driver flags and packets on the wire',
  { skip: netns.ok ? false : netns.why, timeout: 120_000 },
  () => {
    let lab: Lab;
    let dir: string;
    let raw: RawStationProcess;
    const stations: Record<'a' | 'c' | 'd', Station> = {} as Record<'a' | 'c' | 'd', Station>;
    const dumps: Record<'a' | 'c' | 'd', LineProcess> = {} as Record<'a' | 'c' | 'd', LineProcess>;
    /** Each driver's "awake: announcing on …" line. */
    const announced: Record<'a' | 'c' | 'd', string> = {} as Record<'a' | 'c' | 'd', string>;

    /** A second interface with a broadcast address, beside eth0, on `host`. */
    const secondInterface = async (host: string, subnet: string) => {
      const made = await lab.run(host, 'sh', [
        '-c',
        `ip link add side0 type veth peer name side1 && ip addr add ${subnet}.1/24 brd + dev side0 && ` +
          'ip link set side1 up && ip link set side0 up',
      ]);
      assert.equal(made.code, 0, made.stderr);
    };

    const dumped = (host: 'a' | 'c' | 'd'): Delivery[] =>
      dumps[host].stdoutLines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Delivery] : []));

    /** What the station's dump printed from the raw station on `chan`, once `until` is among it (and a moment more). */
    const deliveredOn = async (
      host: 'a' | 'c' | 'd',
      chan: number,
      until: (e: Record<string, unknown>) => boolean,
    ) => {
      const onChan = () => dumped(host).filter((d) => d.from === RAW && d.event['chan'] === chan);
      await dumps[host].waitUntil(
        () => (onChan().some((d) => until(d.event)) ? true : undefined),
        DELIVERY_TIMEOUT_MS,
        `the awaited event on channel ${chan} at host ${host}`,
      );
      await sleep(SETTLE_MS);
      return onChan().map((d) => d.event);
    };

    const rawStats = async (station: Station): Promise<Record<string, number>> => {
      const remote = (await station.clientList()).find((c) => c.name === RAW);
      assert.ok(remote?.stats, `${station.hostName} lists ${RAW} with its statistics`);
      return remote.stats as Record<string, number>;
    };

    const badPackets = async (station: Station): Promise<number> => {
      const problems = ((await station.status())['problems'] ?? {}) as Record<string, number>;
      return problems[`bad packet from ${lab.address('b')}`] ?? 0;
    };

    before(async () => {
      lab = await Lab.start({ hosts: ['a', 'b', 'c', 'd'], subnet: SUBNET });
      dir = mkdtempSync(join(tmpdir(), 'msinet-on-the-wire-'));
      await Promise.all([
        secondInterface('a', '10.91.1'),
        secondInterface('c', '10.91.3'),
        secondInterface('d', '10.91.4'),
      ]);
      [stations.a, stations.c, stations.d, raw] = await Promise.all([
        Station.start(lab, 'a', 'hostA', dir, ['--late', 'drop', '--interface', 'eth0']),
        Station.start(lab, 'c', 'hostC', dir, ['--late', 'play', '--bind', `${SUBNET}.3`]),
        Station.start(lab, 'd', 'hostD', dir, ['--inbound', OCTAVE_UP, '--outbound', OCTAVE_UP]),
        // A clock far from 0, so a date LATE_BY_MS in the past is still a date.
        startRawStation(lab, 'b', { name: RAW, clockStart: 100_000 }),
      ]);
      for (const host of ['a', 'c', 'd'] as const) {
        const { dump } = await stations[host].openDump(['--from', RAW]);
        dumps[host] = dump;
        const line = stations[host].logLinesSince(0, /awake: announcing on /).at(-1);
        assert.ok(line);
        announced[host] = line;
      }
      await raw.announce(100);
      const deadline = performance.now() + REMOTE_TIMEOUT_MS;
      for (const host of ['a', 'c', 'd'] as const) {
        while (!(await stations[host].remoteNames()).includes(RAW)) {
          if (performance.now() > deadline) assert.fail(`${stations[host].hostName} never listed ${RAW}`);
          await sleep(200);
        }
      }
    });
    after(async () => {
      await lab?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** On time, late, on time again, to `host`'s driver on `chan`: what its dump printed. */
    const onTimeLateOnTime = async (host: 'a' | 'c', chan: number) => {
      const to = `${lab.address(host)}:4950`;
      const before = await rawStats(stations[host]);
      await raw.midi({ to, events: marker(chan, 40) });
      await raw.midi({ to, events: marker(chan, 41), date: (await raw.clock()) - LATE_BY_MS });
      await raw.midi({ to, events: marker(chan, 42) });
      const got = await deliveredOn(host, chan, (e) => e['pitch'] === 42);
      const after = await rawStats(stations[host]);
      return {
        pitches: got.map((e) => e['pitch'] as number).sort((x, y) => x - y),
        late: after['late']! - before['late']!,
      };
    };

    test('--late drop: a packet much later than -lat is not delivered; on-time ones around it are', async () => {
      const { pitches, late } = await onTimeLateOnTime('a', 1);
      assert.deepEqual(pitches, [40, 42]);
      assert.equal(late, 1, 'the late packet is counted late');
    });

    test('--late play: the same late packet is delivered (at once), with the on-time ones', async () => {
      const { pitches, late } = await onTimeLateOnTime('c', 2);
      assert.deepEqual(pitches, [40, 41, 42]);
      assert.equal(late, 1, 'the late packet is counted late');
    });

    test('Echo: a version-1 Echo gets its 8 bytes back in an EchoReply; a short one gets nothing and is counted', async () => {
      const driverAt = `${lab.address('a')}:4950`;
      const echo = (payload: number[]) =>
        Buffer.concat([packetHeader(PACKET_TYPE.echo), Buffer.from(payload)]);
      const isReply = (bodyHex: string) => (p: ReceivedPacket) =>
        p.from === driverAt &&
        p.packet.kind === 'other' &&
        p.packet.type === PACKET_TYPE.echoReply &&
        p.packet.bodyHex === bodyHex;

      const badBefore = await badPackets(stations.a);
      await raw.raw(echo([1, 2, 3, 4, 5, 6, 7, 8]), driverAt);
      const reply = await raw.waitForPacket(isReply('0102030405060708'), DELIVERY_TIMEOUT_MS);
      assert.equal(
        reply.hex,
        '10010104' + '0102030405060708',
        'the header of an EchoReply, then the same 8 bytes',
      );

      await raw.raw(echo([9, 9, 9, 9, 9, 9, 9]), driverAt); // 7 bytes: not an Echo
      await raw.raw(echo([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]), driverAt);
      await raw.waitForPacket(isReply('deadbeef00010203'), DELIVERY_TIMEOUT_MS);
      // Replies leave in the order the Echos came: the short one's would be here by now.
      assert.equal(
        raw.received().filter((p) => p.from === driverAt && p.hex.startsWith('10010104')).length,
        2,
        'two replies, none for the short Echo',
      );
      assert.equal(
        (await badPackets(stations.a)) - badBefore,
        1,
        'the short Echo is counted as a bad packet',
      );
    });

    test('--interface and --bind narrow the interfaces a driver announces on; without them, every one', () => {
      const broadcasts = (line: string) =>
        line.slice(line.indexOf('announcing on ') + 'announcing on '.length).split(', ');
      assert.deepEqual(broadcasts(announced.a), [`${SUBNET}.255`], '--interface eth0');
      assert.deepEqual(broadcasts(announced.c), [`${SUBNET}.255`], `--bind ${SUBNET}.3`);
      assert.deepEqual(
        broadcasts(announced.d).sort(),
        [`${SUBNET}.255`, '10.91.4.255'].sort(),
        'no flag: both',
      );
    });

    test('--inbound and --outbound: the operator module transposes events from a station and to it', async () => {
      const driverAt = `${lab.address('d')}:4950`;
      await raw.midi({ to: driverAt, events: marker(3, 50) });
      const got = await deliveredOn('d', 3, () => true);
      assert.deepEqual(
        got.map((e) => e['pitch']),
        [62],
        'inbound: 50 arrives as 62',
      );

      const sent = await stations.d.msinet(['send', '--to', RAW, 'keyOn:chan=4:pitch=40:vel=90']);
      assert.equal(sent.code, 0, sent.stderr);
      const packet = await raw.waitForPacket(
        (p) =>
          p.from === driverAt &&
          p.packet.kind === 'midi' &&
          splitEvents(p.packet.eventsHex, p.packet.offset).events.some((e) => e.chan === 4),
        DELIVERY_TIMEOUT_MS,
      );
      assert.ok(packet.packet.kind === 'midi');
      const keyOns = splitEvents(packet.packet.eventsHex, packet.packet.offset).events.filter(
        (e) => e.chan === 4,
      );
      assert.deepEqual(
        keyOns.map((e) => e.payload),
        [[52, 90]],
        'outbound: 40 leaves as 52',
      );
    });
  },
);
