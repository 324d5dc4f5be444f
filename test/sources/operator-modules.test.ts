/** User operators loaded from modules (`--inbound` / `--outbound`, docs/operators.md). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, of, toArray } from 'rxjs';
import { loadOperator, loadOperators } from '../../src/sources/operator-modules.js';
import type { MidiEvent } from '../../src/model/event.js';

const keyOn60: MidiEvent = { type: 'keyOn', port: 0, chan: 0, pitch: 60, vel: 100 };

describe('operator modules', () => {
  test("a module's default export is the operator", async () => {
    const loaded = await loadOperator('test/fixtures/operators/octave-up.ts');
    assert.ok(loaded.ok);
    assert.deepEqual(await firstValueFrom(of(keyOn60).pipe(loaded.value)), { ...keyOn60, pitch: 72 });
  });

  test('several apply in the order given; none is the identity', async () => {
    const twice = await loadOperators([
      'test/fixtures/operators/octave-up.ts',
      'test/fixtures/operators/octave-up.ts',
    ]);
    assert.ok(twice.ok);
    assert.deepEqual(await firstValueFrom(of(keyOn60).pipe(twice.value)), { ...keyOn60, pitch: 84 });
    const none = await loadOperators([]);
    assert.ok(none.ok);
    assert.deepEqual(await firstValueFrom(of(keyOn60).pipe(none.value, toArray())), [keyOn60]);
  });

  test('a module without a default export, or none at all, is a clear error', async () => {
    const noDefault = await loadOperator('test/fixtures/operators/no-default.ts');
    assert.deepEqual(
      noDefault.ok ? '' : noDefault.reason.replace(/^.*: its/, 'its'),
      'its default export must be an operator (a function of an Observable), not undefined',
    );
    const missing = await loadOperators(['test/fixtures/operators/octave-up.ts', 'no/such/module.ts']);
    assert.ok(
      !missing.ok && missing.reason.startsWith('no/such/module.ts: cannot load it'),
      JSON.stringify(missing),
    );
  });
});
