/**
 * The MIDI bridge against an in-memory MIDI system with the interface of the
 * real one (test/harness/memory-midi), on a real hub, in virtual time: ports
 * that appear, messages in and out, a busy port, a device unplugged in the
 * middle of a SysEx and plugged in again, and `--midi`'s virtual ports per
 * station.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import type { MidiEvent } from '../../src/model/event.js';
import { createHub, type Hub, type LocalClient, type RemoteClient } from '../../src/sinks/hub.js';
import type { Logger } from '../../src/sinks/logger.js';
import { midiBridge, type MidiBridgeConfig } from '../../src/sinks/midi-bridge.js';
import { problemCounter, type ProblemCounter } from '../../src/sinks/rate-limited-log.js';
import { MemoryMidiSystem } from '../harness/memory-midi/system.js';

const KEYBOARD = 'USB Keyboard:USB Keyboard MIDI 1 20:0';
const KEYBOARD_CLIENT = 'USB Keyboard:USB Keyboard MIDI 1';
const SYNTH = 'Synth:Synth MIDI 1 24:0';

interface Sent {
  at: number;
  remote: number;
  event: MidiEvent;
}

interface Studio {
  scheduler: TestScheduler;
  hub: Hub;
  system: MemoryMidiSystem;
  lines: string[];
  problems: ProblemCounter;
  /** What the hub handed to remote stations, with when. */
  sent: Sent[];
  /** Runs `step` at virtual time `at` (ms). */
  at(at: number, step: () => void): void;
  /** A remote station's client, as the driver's session of it opens it; answers its ref. */
  addRemote(name: string): number;
  /** The station goes, as its session closes its client. */
  removeRemote(ref: number): void;
  kindOf(name: string): string | undefined;
}

/** Runs a bridge with `config` over a fresh hub and in-memory system until `endAt`; `script` sets the scene. */
function studio(config: Partial<MidiBridgeConfig>, endAt: number, script: (studio: Studio) => void): void {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  scheduler.run(({ flush }) => {
    const hub = createHub({ driverName: 'msLANDriver', scheduler });
    const system = new MemoryMidiSystem();
    const lines: string[] = [];
    const say =
      (level: string) =>
      (message: unknown): Logger => {
        lines.push(`${level}: ${String(message)}`);
        return logger;
      };
    const logger = {
      error: say('error'),
      warn: say('warn'),
      info: say('info'),
      debug: say('debug'),
    } as Logger;
    const problems = problemCounter(logger, scheduler);
    const sent: Sent[] = [];
    const remotes = new Map<number, RemoteClient>();
    const full: MidiBridgeConfig = { midi: false, midiIn: [], midiOut: [], ...config };
    const studioApi: Studio = {
      scheduler,
      hub,
      system,
      lines,
      problems,
      sent,
      at: (at, step) => void scheduler.schedule(step, at),
      addRemote(name) {
        const opened = hub.openRemote(name, `10.0.0.${hub.snapshot().clients.length + 1}`);
        assert.ok(opened.ok, opened.ok ? '' : opened.reason);
        const { ref, outbound$ } = opened.value;
        remotes.set(ref, opened.value);
        outbound$.subscribe((event) => sent.push({ at: scheduler.now(), remote: ref, event }));
        return ref;
      },
      removeRemote: (ref) => remotes.get(ref)?.close(),
      kindOf: (name) => hub.snapshot().clients.find((c) => c.name === name)?.kind,
    };
    script(studioApi);
    const running = midiBridge(full, { hub, system, logger, problems, scheduler }).subscribe();
    scheduler.schedule(() => running.unsubscribe(), endAt);
    flush();
    hub.dispose();
  });
}

const keyOn = (pitch: number, vel = 100): MidiEvent => ({ type: 'keyOn', port: 0, chan: 0, pitch, vel });
const withoutDate = ({ date: _date, ...event }: MidiEvent): MidiEvent => event as MidiEvent;

describe('MIDI bridge: --midi-in', () => {
  test('a port that appears is opened as a client of kind midi; what it plays reaches every station and a connected local client', () => {
    let synth: LocalClient | undefined;
    const heard: MidiEvent[] = [];
    studio({ midiIn: ['keyboard'] }, 5000, (s) => {
      let hostB = 0;
      s.at(0, () => {
        hostB = s.addRemote('hostB');
        const opened = s.hub.openLocal('local synth');
        assert.ok(opened.ok);
        synth = opened.value;
        synth.events$.subscribe((d) => heard.push(d.event));
      });
      s.at(500, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), undefined, 'nothing before the port appears');
        s.system.plugInput(KEYBOARD);
      });
      s.at(1500, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), 'midi', 'seen at the next poll (1000 ms)');
        assert.ok(s.hub.connect(KEYBOARD_CLIENT, 'local synth').ok);
        // Running status across chunks, a clock byte between the data bytes of a message.
        assert.equal(s.system.play(KEYBOARD, [0x90, 60], [100, 62, 0xf8, 90]), 1);
      });
      s.at(2500, () => {
        const events = s.sent.filter((x) => x.remote === hostB).map((x) => [x.at, withoutDate(x.event)]);
        assert.deepEqual(events, [
          [1500, keyOn(60)],
          [1500, { type: 'clock', port: 0, chan: 0 }],
          [1500, keyOn(62, 90)],
        ]);
        assert.deepEqual(heard.map(withoutDate), [
          keyOn(60),
          { type: 'clock', port: 0, chan: 0 },
          keyOn(62, 90),
        ]);
      });
    });
    assert.ok(synth);
  });

  test('a station that appears later is played to as well', () => {
    studio({ midiIn: ['KEYBOARD'] }, 4000, (s) => {
      let hostC = 0;
      s.at(0, () => s.system.plugInput(KEYBOARD));
      s.at(100, () => {
        hostC = s.addRemote('hostC');
        s.system.play(KEYBOARD, [0x80, 60, 64]);
      });
      s.at(200, () => {
        assert.deepEqual(
          s.sent.map((x) => [x.remote, withoutDate(x.event)]),
          [[hostC, { type: 'keyOff', port: 0, chan: 0, pitch: 60, vel: 64 }]],
        );
      });
    });
  });

  test('the driver counts it as a client: it wakes when the port is there and sleeps when it goes', () => {
    const counts: number[] = [];
    studio({ midiIn: ['keyboard'] }, 5000, (s) => {
      s.hub.localCount$.subscribe((n) => counts.push(n));
      s.at(0, () => s.system.plugInput(KEYBOARD));
      s.at(1500, () => s.system.unplug(KEYBOARD));
    });
    assert.deepEqual(counts, [0, 1, 0]);
  });

  test('a busy port is said once and tried again at each poll; once free, it opens', () => {
    studio({ midiIn: ['keyboard'] }, 6000, (s) => {
      s.at(0, () => {
        s.system.plugInput(KEYBOARD);
        s.system.hold(KEYBOARD);
      });
      s.at(3500, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), undefined);
        const said = s.lines.filter((l) => l.includes('busy'));
        assert.equal(said.length, 1, said.join('\n'));
        assert.match(said[0] ?? '', /^warn: MIDI input 'USB Keyboard.*busy.*trying again every 1000 ms/);
        s.system.release(KEYBOARD);
      });
      s.at(4500, () => assert.equal(s.kindOf(KEYBOARD_CLIENT), 'midi', 'opened at the next try'));
    });
  });

  test('unplugged in the middle of a SysEx: the client closes with a log line, the half SysEx is dropped and counted; plugged in again, it reopens by name', () => {
    studio({ midiIn: ['keyboard'] }, 8000, (s) => {
      let hostB = 0;
      s.at(0, () => {
        hostB = s.addRemote('hostB');
        s.system.plugInput(KEYBOARD);
      });
      s.at(100, () => s.system.play(KEYBOARD, [0xf0, 0x43, 0x10], [0x4c, 0x00]));
      s.at(1200, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), 'midi', 'still open before the poll sees it gone');
        s.system.unplug(KEYBOARD);
      });
      s.at(2500, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), undefined, 'its client is closed');
        assert.equal(s.system.isOpen(KEYBOARD), false, 'and its port');
        assert.ok(
          s.lines.some((l) =>
            /^warn: MIDI input 'USB Keyboard.*' is gone \(unplugged\?\).*matching 'keyboard'/.test(l),
          ),
          s.lines.join('\n'),
        );
        assert.deepEqual(s.problems.counts(), { [`MIDI input ${KEYBOARD}`]: 1 });
        assert.ok(
          s.lines.some((l) =>
            l.includes('SysEx of 4 data bytes dropped: the port closed in the middle of it'),
          ),
        );
        s.system.plugInput(KEYBOARD);
      });
      s.at(3500, () => {
        assert.equal(s.kindOf(KEYBOARD_CLIENT), 'midi', 'reopened by name');
        // The rest of the old SysEx is no start of anything; a new one arrives whole.
        s.system.play(KEYBOARD, [0x20, 0xf7], [0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7]);
      });
      s.at(3600, () => {
        const events = s.sent.filter((x) => x.remote === hostB).map((x) => withoutDate(x.event));
        assert.deepEqual(events, [{ type: 'sysEx', port: 0, chan: 0, data: [0x7e, 0x7f, 0x09, 0x01] }]);
        assert.equal(
          s.problems.counts()[`MIDI input ${KEYBOARD}`],
          3,
          'the stray byte and F7 are counted too',
        );
      });
    });
  });

  test("a name never matches the driver's own virtual ports", () => {
    studio({ midi: true, midiOut: ['msinet'] }, 3000, (s) => {
      s.at(2500, () => {
        assert.ok(s.system.outputs().includes('msinet (all)'), 'its virtual input is listed among outputs');
        assert.equal(
          s.hub.snapshot().clients.filter((c) => c.kind === 'midi').length,
          1,
          'only msinet (all)',
        );
        assert.ok(s.lines.some((l) => l === "info: MIDI output: waiting for a port matching 'msinet'"));
      });
    });
  });
});

describe('MIDI bridge: --midi-out', () => {
  test('what every station sends comes out of the port at its delivery; a note plays its key off dur ms later', () => {
    studio({ midiOut: ['synth'] }, 5000, (s) => {
      let hostB = 0;
      s.at(0, () => {
        hostB = s.addRemote('hostB');
        s.system.plugOutput(SYNTH);
      });
      s.at(1000, () => {
        assert.equal(s.kindOf('Synth:Synth MIDI 1'), 'midi');
        s.hub.deliver(hostB, { type: 'note', port: 0, chan: 2, pitch: 64, vel: 80, dur: 250 });
        s.hub.deliver(hostB, { type: 'pitchWheel', port: 0, chan: 0, value: 8192 });
      });
      s.at(1249, () =>
        assert.deepEqual(s.system.written(SYNTH), [
          [0x92, 64, 80],
          [0xe0, 0, 64],
        ]),
      );
      // Steps set up before the run go first within a frame: look just after 1250.
      s.at(1250.5, () =>
        assert.deepEqual(s.system.written(SYNTH).at(-1), [0x82, 64, 64], 'key off at 1000 + 250'),
      );
    });
  });

  test('a write to a device that is gone is counted, and the client closes at the next poll', () => {
    studio({ midiOut: ['synth'] }, 5000, (s) => {
      let hostB = 0;
      s.at(0, () => {
        hostB = s.addRemote('hostB');
        s.system.plugOutput(SYNTH);
      });
      s.at(1000, () => {
        s.system.unplug(SYNTH);
        s.hub.deliver(hostB, keyOn(60));
        assert.deepEqual(s.problems.counts(), { [`MIDI output ${SYNTH}`]: 1 });
      });
      s.at(2500, () => assert.equal(s.kindOf('Synth:Synth MIDI 1'), undefined));
    });
  });
});

describe('MIDI bridge: --midi', () => {
  test("each station gets a virtual pair named after it, opened when it appears and closed when it goes; 'msinet (all)' keeps the driver awake", () => {
    studio({ midi: true }, 5000, (s) => {
      let hostB = 0;
      let hostC = 0;
      s.at(0, () => {
        assert.equal(s.kindOf('msinet (all)'), 'midi');
        assert.equal(s.hub.snapshot().clients.filter((c) => c.kind !== 'driver').length, 1);
        hostB = s.addRemote('hostB');
        hostC = s.addRemote('hostC');
      });
      s.at(10, () => {
        assert.equal(s.kindOf('msinet hostB'), 'midi');
        assert.ok(s.system.isOpen('msinet hostB') && s.system.isOpen('msinet hostC'));
        // A DAW plays into 'msinet hostB': only hostB gets it. Into 'msinet (all)': both.
        s.system.play('msinet hostB', [0x91, 48, 70]);
        s.system.play('msinet (all)', [0xc0, 5]);
        // hostC plays: its own port and the (all) port record it; hostB's does not.
        s.hub.deliver(hostC, keyOn(72));
      });
      s.at(20, () => {
        assert.deepEqual(
          s.sent.map((x) => [x.remote, x.event.type]),
          [
            [hostB, 'keyOn'],
            [hostB, 'progChange'],
            [hostC, 'progChange'],
          ],
        );
        assert.deepEqual(s.system.written('msinet hostC'), [[0x90, 72, 100]]);
        assert.deepEqual(s.system.written('msinet (all)'), [[0x90, 72, 100]]);
        assert.deepEqual(s.system.written('msinet hostB'), []);
        // A note from hostB whose key off is due after hostB leaves.
        s.hub.deliver(hostB, { type: 'note', port: 0, chan: 0, pitch: 50, vel: 90, dur: 1000 });
      });
      s.at(30, () => {
        s.removeRemote(hostB);
        assert.deepEqual(
          s.system.written('msinet hostB'),
          [
            [0x90, 50, 90],
            [0x80, 50, 64],
          ],
          'the key off is played as the station goes, not left hanging',
        );
        assert.equal(s.system.isOpen('msinet hostB'), false);
        assert.equal(s.kindOf('msinet hostB'), undefined);
        assert.ok(s.lines.includes("info: hostB : MIDI ports 'msinet hostB' closed"));
      });
    });
  });
});
