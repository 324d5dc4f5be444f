// Proves the test harness itself: the raw station's bytes against the
// original's golden captures, the raw station on loopback, and, in a private
// two-host lab, the original msInetDriver talking to itself and to the raw
// station. msinet is not involved: tests of msinet build on this harness.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { canUseNetns, canUseNft, Lab } from '../harness/lab.js';
import {
  buildOriginalPeer,
  originalPeerAvailable,
  parseRecvLine,
  startOriginal,
  type OriginalEvent,
} from '../harness/original-peer.js';
import { startRawStation } from '../harness/raw-station-process.js';
import {
  byePacket,
  EVENT_TYPE,
  eventBytes,
  hostIdPacket,
  keyOnBytes,
  midiPacket,
  noteBytes,
  parsePacket,
  RawStation,
  splitEvents,
  sysExBytes,
  type ReceivedPacket,
} from '../harness/raw-station.js';

/** The original's captures, copied into the repository: they need no ../shared. */
const CAPTURES = new URL('../fixtures/original-captures/', import.meta.url);

interface Datagram {
  src: string;
  dst: string;
  hex: string;
}

function lanCapture(): Datagram[] {
  return readFileSync(new URL('lan.jsonl', CAPTURES), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Datagram);
}

function packetsOfKind(kind: string): Datagram[] {
  return lanCapture().filter((d) => parsePacket(Buffer.from(d.hex, 'hex')).kind === kind);
}

describe('raw station bytes equal what the original put on the wire', () => {
  test('every captured HostID, parsed and rebuilt, is byte for byte the same', () => {
    const hostIds = packetsOfKind('hostId');
    assert.ok(hostIds.length > 10);
    for (const d of hostIds) {
      const p = parsePacket(Buffer.from(d.hex, 'hex'));
      assert.equal(p.kind, 'hostId');
      if (p.kind !== 'hostId') continue;
      assert.match(p.name, /^host[AB]$/);
      assert.equal(hostIdPacket(p.clock, p.name, Buffer.from(p.extraHex, 'hex')).toString('hex'), d.hex);
    }
  });

  test('every captured Midi packet, split into events and rebuilt from them, is byte for byte the same', () => {
    const midi = packetsOfKind('midi');
    assert.ok(midi.length >= 2);
    for (const d of midi) {
      const p = parsePacket(Buffer.from(d.hex, 'hex'));
      assert.equal(p.kind, 'midi');
      if (p.kind !== 'midi') continue;
      const { events, rest } = splitEvents(p.eventsHex, p.offset);
      assert.equal(rest, 0, 'the capture has no event cut across packets');
      const rebuilt = Buffer.concat(
        events.map((e) => eventBytes(e.type, e.payload, { date: e.date, port: e.port, chan: e.chan })),
      );
      const packet = midiPacket({ serial: p.serial, date: p.date, offset: p.offset, events: rebuilt });
      assert.equal(packet.toString('hex'), d.hex);
    }
  });

  test('the hand-made Note, KeyOn and SysEx equal the ones the original sent for the same commands', () => {
    // captures/events-sent.txt: `note 60 100 500 0 0`, `on 62 80 1`, `sysex 1 2 3 4 5`, all sent "now" (date -1).
    const main = packetsOfKind('midi').find((d) => d.dst.endsWith('.2:4950'));
    assert.ok(main, 'the capture has a unicast Midi packet');
    const p = parsePacket(Buffer.from(main.hex, 'hex'));
    assert.equal(p.kind, 'midi');
    const sent = p.kind === 'midi' ? p.eventsHex : '';
    for (const made of [
      noteBytes({ pitch: 60, vel: 100, dur: 500, date: -1 }),
      keyOnBytes({ pitch: 62, vel: 80, chan: 1, date: -1 }),
      sysExBytes({ data: [1, 2, 3, 4, 5], date: -1 }),
    ]) {
      assert.ok(sent.includes(made.toString('hex')), `${made.toString('hex')} is among the sent events`);
    }
  });

  test('Bye is the 4-byte header the original sent', () => {
    const byes = packetsOfKind('bye');
    assert.ok(byes.length > 0);
    for (const d of byes) assert.equal(byePacket().toString('hex'), d.hex);
  });

  test('the RECV lines the receiving original printed all parse', () => {
    const lines = readFileSync(new URL('lan.received.txt', CAPTURES), 'utf8').split('\n');
    const recv = lines.filter((l) => l.startsWith('RECV '));
    const parsed = recv.map(parseRecvLine);
    assert.ok(recv.length > 0);
    assert.ok(parsed.every((e) => e !== undefined));
    assert.deepEqual(parsed[0], { now: 4309, date: 4308, type: 0, port: 0, chan: 0, fields: [60, 100, 500] });
  });
});

describe('raw station on loopback', () => {
  let sender: RawStation;
  let receiver: RawStation;
  before(async () => {
    receiver = await RawStation.open({ name: 'rx', address: '127.0.0.1', port: 0 });
    sender = await RawStation.open({ name: 'tx', address: '127.0.0.1', port: 0, peer: receiver.endpoint });
  });
  after(async () => {
    await sender?.close();
    await receiver?.close();
  });

  const midiFrom = (serial: number) => (r: ReceivedPacket) =>
    r.from === sender.endpoint && r.packet.kind === 'midi' && r.packet.serial === serial;

  test('serials count from 1, jump on request, repeat on request, and start over after a restart', async () => {
    const keyOn = keyOnBytes({ pitch: 60, vel: 100 });
    const used = [
      await sender.midi({ events: keyOn }),
      await sender.midi({ events: keyOn, serial: 5 }), // a gap: 2..4 never sent
      await sender.midi({ events: keyOn, serial: 5 }), // a duplicate
      await sender.midi({ events: keyOn }),
    ].map((u) => u.serial);
    assert.deepEqual(used, [1, 5, 5, 6]);
    await sender.restart(1);
    const lastKeyOn = keyOnBytes({ pitch: 61, vel: 100 });
    const afterRestart = await sender.midi({ events: lastKeyOn });
    assert.equal(afterRestart.serial, 1);
    assert.ok(afterRestart.date < 1000, `clock restarted near 1, got ${afterRestart.date}`);
    await receiver.waitForPacket(
      (r) => midiFrom(1)(r) && r.packet.kind === 'midi' && r.packet.eventsHex === lastKeyOn.toString('hex'),
      2000,
    );
    const serials = receiver
      .received()
      .flatMap((r) => (r.from === sender.endpoint && r.packet.kind === 'midi' ? [r.packet.serial] : []));
    assert.deepEqual(serials.slice(0, 5), [1, 5, 5, 6, 1]);
  });

  test('a lying count and offset leave as given, and the receiver parses what was sent', async () => {
    const events = keyOnBytes({ pitch: 61, vel: 1, chan: 15, port: 7, date: -3 });
    await sender.midi({ events, serial: 100, date: 0xfffffff0, count: 999, offset: 2 });
    const got = await receiver.waitForPacket(midiFrom(100), 2000);
    assert.deepEqual(got.packet, {
      kind: 'midi',
      serial: 100,
      date: 0xfffffff0,
      count: 999,
      offset: 2,
      eventsHex: events.toString('hex'),
    });
    assert.equal(got.via, 'unicast');
    assert.deepEqual(splitEvents(events).events, [
      { len: 7, type: EVENT_TYPE.keyOn, date: -3, port: 7, chan: 15, payload: [61, 1] },
    ]);
  });

  test('a HostID carries the clock and name, and bytes after the NUL', async () => {
    await sender.hostId({ clock: 1234, extra: Buffer.from([0xca, 0xfe]) });
    const got = await receiver.waitForPacket(
      (r) => r.packet.kind === 'hostId' && r.packet.clock === 1234,
      2000,
    );
    assert.deepEqual(got.packet, { kind: 'hostId', clock: 1234, name: 'tx', extraHex: 'cafe' });
  });
});

const netns = canUseNetns();
const original = originalPeerAvailable();

describe('a two-host lab', { skip: netns.ok ? false : netns.why }, () => {
  let lab: Lab;

  before(async () => {
    lab = await Lab.start({ hosts: ['a', 'b'], subnet: '10.77.0' });
  });
  afterEach(async () => {
    await lab?.reset(); // a failed test leaves no station bound to the next one's port
  });
  after(async () => {
    await lab?.stop();
  });

  test('hosts have their private addresses on one /24 with a broadcast address', async () => {
    assert.equal(lab.address('b'), '10.77.0.2');
    assert.equal(lab.broadcast('b'), '10.77.0.255');
    const shown = await lab.run('b', 'ip', ['-o', '-4', 'addr', 'show', 'dev', lab.interfaceName('b')]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /inet 10\.77\.0\.2\/24 brd 10\.77\.0\.255 /);
    const routes = await lab.run('b', 'ip', ['-4', 'route', 'show', 'default']);
    assert.equal(routes.stdout.trim(), '', 'no default route: nothing leaves the lab');
  });

  const nft = canUseNft();
  test(
    'dropPercent(100) cuts a host off and dropPercent(0) lets it hear again',
    { skip: nft.ok ? false : nft.why },
    async () => {
      const rx = await startRawStation(lab, 'b', { name: 'rx' });
      const tx = await startRawStation(lab, 'a', { name: 'tx', peer: rx.endpoint });
      const fromTx = (serial: number) => (r: ReceivedPacket) =>
        r.from === tx.endpoint && r.packet.kind === 'midi' && r.packet.serial === serial;
      const keyOn = keyOnBytes({ pitch: 60, vel: 100 });
      await lab.dropPercent('b', 100);
      for (let i = 0; i < 5; i++) await tx.midi({ events: keyOn });
      await lab.dropPercent('b', 0);
      const { serial } = await tx.midi({ events: keyOn });
      await rx.waitForPacket(fromTx(serial), 3_000);
      // One bridge, no reordering: had any of the first five passed, it would be here before the sixth.
      const heard = rx.received().filter((r) => r.from === tx.endpoint && r.packet.kind === 'midi');
      assert.deepEqual(
        heard.map((r) => r.packet.kind === 'midi' && r.packet.serial),
        [6],
      );
      await Promise.all([tx.close(), rx.close()]);
    },
  );
});

describe(
  'a two-host lab with the original msInetDriver',
  { skip: !netns.ok ? netns.why : !original.ok ? original.why : false },
  () => {
    let lab: Lab;
    let binary: string;
    const REMOTE_TIMEOUT_MS = 10_000;

    before(async () => {
      binary = await buildOriginalPeer(); // outside any namespace: it may apt-get a compiler
      lab = await Lab.start({ hosts: ['a', 'b'], subnet: '10.76.0' });
    });
    afterEach(async () => {
      await lab?.reset(); // a failed test leaves no station bound to the next one's port
    });
    after(async () => {
      await lab?.stop();
    });

    const fieldsOf = (e: OriginalEvent) => ({ type: e.type, port: e.port, chan: e.chan, fields: e.fields });

    test('two originals see each other; a note and a sysex from one arrive at the other with their fields', async () => {
      const a = await startOriginal(lab, 'a', 'hostA', [], { binary });
      const b = await startOriginal(lab, 'b', 'hostB', [], { binary });
      const [, aSeenByB] = await Promise.all([
        a.waitForRemote('hostB', REMOTE_TIMEOUT_MS),
        b.waitForRemote('hostA', REMOTE_TIMEOUT_MS),
      ]);
      a.note(60, 100, 500, 3);
      a.sysex([1, 2, 3, 0x7f]);
      const [note, sysex] = await b.waitForEvents(2, 5_000);
      assert.ok(note && sysex);
      assert.deepEqual(fieldsOf(note), { type: EVENT_TYPE.note, port: 0, chan: 3, fields: [60, 100, 500] });
      assert.deepEqual(fieldsOf(sysex), {
        type: EVENT_TYPE.sysEx,
        port: 0,
        chan: 0,
        fields: [1, 2, 3, 0x7f],
      });
      await a.quit(); // broadcasts Bye
      await b.waitForRemoteGone(aSeenByB.ref, 3_000);
      await b.quit();
    });

    test('an original on b sees the raw station on a and takes its hand-made KeyOn; the raw station hears it back', async () => {
      const raw = await startRawStation(lab, 'a', { name: 'rawA', peer: `${lab.address('b')}:4950` });
      const b = await startOriginal(lab, 'b', 'hostB', [], { binary });
      await raw.announce(100);
      await b.waitForRemote('rawA', REMOTE_TIMEOUT_MS);

      await raw.midi({ events: keyOnBytes({ pitch: 64, vel: 90, chan: 2 }) });
      const keyOn = await b.waitForEvent((e) => e.type === EVENT_TYPE.keyOn, 5_000);
      assert.deepEqual(fieldsOf(keyOn), { type: EVENT_TYPE.keyOn, port: 0, chan: 2, fields: [64, 90] });

      const hello = await raw.waitForPacket((r) => r.packet.kind === 'hostId', 5_000);
      assert.deepEqual([hello.from, hello.via], [`${lab.address('b')}:4950`, 'broadcast']);
      assert.equal(hello.packet.kind === 'hostId' && hello.packet.name, 'hostB');

      b.on(67, 33, 4);
      const midi = await raw.waitForPacket((r) => r.packet.kind === 'midi', 5_000);
      assert.equal(midi.via, 'unicast');
      assert.ok(midi.packet.kind === 'midi');
      const { events } = splitEvents(midi.packet.eventsHex, midi.packet.offset);
      assert.deepEqual(
        events.map((e) => ({ type: e.type, chan: e.chan, payload: e.payload })),
        [{ type: EVENT_TYPE.keyOn, chan: 4, payload: [67, 33] }],
      );
      await b.quit();
      await raw.close();
    });

    test('two originals in WAN mode connect over TCP and a port-255 note rides it', async () => {
      const server = await startOriginal(lab, 'b', 'hostB', ['-s'], { binary });
      const client = await startOriginal(lab, 'a', 'hostA', ['-s', lab.address('b')], { binary });
      // The original names a WAN remote by its address.
      await Promise.all([
        client.waitForRemote(lab.address('b'), REMOTE_TIMEOUT_MS),
        server.waitForRemote(lab.address('a'), REMOTE_TIMEOUT_MS),
      ]);
      client.note(61, 90, 250, 0, 255);
      const note = await server.waitForEvent((e) => e.type === EVENT_TYPE.note, 5_000);
      assert.deepEqual(fieldsOf(note), { type: EVENT_TYPE.note, port: 255, chan: 0, fields: [61, 90, 250] });
      await client.quit();
      await server.process.waitForLine(
        new RegExp(`${lab.address('a').replace(/\./g, '\\.')} : connection closed`),
        3_000,
      );
      await server.quit();
    });
  },
);

describe('a lab leaves nothing behind', { skip: netns.ok ? false : netns.why }, () => {
  test('stop() ends its stations and its holder, and with them its namespaces', async () => {
    const lab = await Lab.start({ hosts: ['x'], subnet: '10.78.0' });
    const sleeper = lab.spawn('x', 'sleep', ['60']);
    const named = await lab.run('x', 'sh', ['-c', 'hostname; getent hosts "$(hostname)"'], {
      hostname: 'stationX',
    });
    assert.deepEqual(named.stdout.split(/\s+/), ['stationX', '10.78.0.1', 'stationX']);
    const holderNet = readlinkNet(lab.holderPid);
    assert.notEqual(holderNet, readlinkNet(process.pid), 'the holder has its own network namespace');
    await lab.stop();
    assert.equal(sleeper.running, false);
    assert.equal(existsSync(`/proc/${lab.holderPid}`), false, 'the holder is gone');
  });
});

function readlinkNet(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}
