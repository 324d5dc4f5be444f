/** User operators loaded from modules (`--inbound` / `--outbound`, docs/operators.md). */
import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, Observable, of, toArray } from 'rxjs';
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

  describe('kept in a folder of their own, with no node_modules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msinet-user-operators-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const OPERATOR = `import { map } from 'rxjs';\nexport default map((e) => ({ ...e, vel: 1 }));\n`;

    for (const name of ['plain.js', 'module.mjs', 'typed.ts', 'typed.mts']) {
      test(`${name}: imports rxjs and is loaded`, async () => {
        const loaded = await loadOperator(
          file(name, name.includes('ts') ? OPERATOR.replace('(e)', '(e: { vel: number })') : OPERATOR),
        );
        assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
        assert.deepEqual(await firstValueFrom(of(keyOn60).pipe(loaded.value)), { ...keyOn60, vel: 1 });
      });
    }

    test("its rxjs is the driver's own: one Observable", async () => {
      const path = file(
        'same-rxjs.ts',
        "import { Observable, type MonoTypeOperatorFunction } from 'rxjs';\n" +
          'const op: MonoTypeOperatorFunction<unknown> = (source) => source;\n' +
          'export default Object.assign(op, { Observable });\n',
      );
      const loaded = await loadOperator(path);
      assert.ok(loaded.ok);
      assert.equal((loaded.value as unknown as { Observable: unknown }).Observable, Observable);
    });

    test('TypeScript imports TypeScript by the .js name it compiles to, or by none', async () => {
      file('octave.ts', 'export const OCTAVE: number = 12;\n');
      file(
        'shift.ts',
        "import { OCTAVE } from './octave';\nexport const up = (p: number): number => p + OCTAVE;\n",
      );
      const path = file(
        'up.ts',
        "import { map } from 'rxjs';\nimport { up } from './shift.js';\n" +
          'export default map((e: { pitch: number }) => ({ ...e, pitch: up(e.pitch) }));\n',
      );
      const loaded = await loadOperator(path);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
      assert.deepEqual(await firstValueFrom(of(keyOn60).pipe(loaded.value)), { ...keyOn60, pitch: 72 });
    });

    test('a TypeScript syntax error is one line naming the file', async () => {
      const path = file('broken.ts', 'export default (;\n');
      const loaded = await loadOperator(path);
      assert.ok(!loaded.ok);
      assert.match(loaded.reason, new RegExp(`^${path.replace(/[.]/g, '\\.')}: cannot load it: .+`));
      assert.doesNotMatch(loaded.reason, /\n/);
    });
  });
});
