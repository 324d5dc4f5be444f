import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { watchMidiPorts } from '../../src/sources/midi-port-list.js';
import { MemoryMidiSystem } from '../harness/memory-midi/system.js';

describe('watchMidiPorts', () => {
  test('the picture: the lists now, then at each poll that finds them changed', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ expectObservable, cold }) => {
      const system = new MemoryMidiSystem();
      cold('15ms a 19ms b').subscribe((step) => (step === 'a' ? system.plugInput('K') : system.unplug('K')));
      cold('25ms s').subscribe(() => system.plugOutput('S'));
      expectObservable(watchMidiPorts(system, scheduler, 10), '^ 45ms !').toBe('a 19ms b 9ms c 9ms d', {
        a: { inputs: [], outputs: [] },
        b: { inputs: ['K'], outputs: [] },
        c: { inputs: ['K'], outputs: ['S'] },
        d: { inputs: [], outputs: ['S'] },
      });
    });
  });
});
