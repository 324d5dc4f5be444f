import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_STATIONS_PORT,
  isOwnVirtualPort,
  matchPort,
  portClientName,
  stationPortName,
} from '../../src/model/midi-port-names.js';

const ALSA = [
  'Midi Through:Midi Through Port-0 14:0',
  'USB Keyboard:USB Keyboard MIDI 1 20:0',
  'RtMidi Output Client:msinet hostB 130:0',
  'USB Keyboard:USB Keyboard MIDI 2 20:1',
];

describe('MIDI port names', () => {
  test('a name matches the first present port containing it, whatever the case', () => {
    assert.equal(matchPort(ALSA, 'keyboard'), 'USB Keyboard:USB Keyboard MIDI 1 20:0');
    assert.equal(matchPort(ALSA, 'MIDI 2'), 'USB Keyboard:USB Keyboard MIDI 2 20:1');
    assert.equal(matchPort(ALSA, 'through'), 'Midi Through:Midi Through Port-0 14:0');
    assert.equal(matchPort(ALSA, 'synth'), undefined);
  });

  test("the driver's own virtual ports are never matched, as listed by ALSA or bare", () => {
    assert.equal(matchPort(ALSA, 'hostB'), undefined);
    assert.equal(matchPort(['msinet (all)'], 'msinet'), undefined);
    assert.ok(isOwnVirtualPort('RtMidi Input Client:msinet (all) 129:0'));
    assert.ok(isOwnVirtualPort(stationPortName('hostC')));
    assert.ok(isOwnVirtualPort(ALL_STATIONS_PORT));
    assert.ok(!isOwnVirtualPort('msinet-like synth:port 1 30:0'));
  });

  test('a client is named after its port without the ALSA address, at most 64 characters', () => {
    assert.equal(portClientName('USB Keyboard:USB Keyboard MIDI 1 20:0'), 'USB Keyboard:USB Keyboard MIDI 1');
    assert.equal(portClientName('IAC Driver Bus 1'), 'IAC Driver Bus 1');
    assert.equal([...portClientName(`${'é'.repeat(80)} 20:0`)].length, 64);
    assert.equal(portClientName('bad\tname'), 'bad?name');
  });
});
