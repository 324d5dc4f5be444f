/**
 * The folder rules of DESIGN.md are enforced by `npm run lint` (eslint.config.js):
 * pure folders import no I/O and read no clock; edges never reach back into the
 * driver. Each case lints a small text as if it were a file of that folder.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function ruleIds(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
}

describe('lint enforces the folder rules', () => {
  const pure = ['src/model/x.ts', 'src/wire/x.ts', 'src/operators/x.ts'];

  for (const file of pure) {
    test(`${file} may not import a socket, a file system or a device`, async () => {
      for (const module of ['node:dgram', 'node:fs', '@julusian/midi', 'winston']) {
        const ids = await ruleIds(file, `import * as io from '${module}';\nexport const x = io;\n`);
        assert.deepEqual(ids, ['no-restricted-imports'], module);
      }
    });

    test(`${file} may not import sources/ or sinks/`, async () => {
      const ids = await ruleIds(
        file,
        "import { lanUdp } from '../sources/lan-udp.js';\nimport { createHub } from '../sinks/hub.js';\nexport const x = [lanUdp, createHub];\n",
      );
      assert.deepEqual(ids, ['no-restricted-imports', 'no-restricted-imports']);
    });

    test(`${file} may not read the wall clock or set a raw timer`, async () => {
      const ids = await ruleIds(
        file,
        'export const x = [Date.now(), performance.now()];\nexport const y = setTimeout(() => x, 1);\n',
      );
      assert.deepEqual(ids, [
        'no-restricted-properties',
        'no-restricted-properties',
        'no-restricted-globals',
      ]);
    });
  }

  test('the page (src/page/) runs in a browser: only model/ and wire/ of src/, no Node module', async () => {
    const allowed = await ruleIds(
      'src/page/x.ts',
      "import { parseEvent } from '../model/event-json.js';\nimport { deliveryText } from '../wire/delivery-text.js';\nexport const x = [parseEvent, deliveryText, performance.now()];\n",
    );
    assert.deepEqual(allowed, []);
    for (const module of [
      'node:fs',
      'rxjs',
      'ws',
      '../sources/http-endpoint.js',
      '../sinks/hub.js',
      '../run.js',
    ]) {
      const ids = await ruleIds('src/page/x.ts', `import * as m from '${module}';\nexport const x = m;\n`);
      assert.deepEqual(ids, ['no-restricted-imports'], module);
    }
  });

  test('model/ may not import wire/ or operators/', async () => {
    const ids = await ruleIds(
      'src/model/x.ts',
      "import { decodePacket } from '../wire/codec.js';\nimport { transpose } from '../operators/transpose.js';\nexport const x = [decodePacket, transpose];\n",
    );
    assert.deepEqual(ids, ['no-restricted-imports', 'no-restricted-imports']);
  });

  test('sources/ and sinks/ may do I/O but not import the driver', async () => {
    for (const file of ['src/sources/x.ts', 'src/sinks/x.ts']) {
      const ids = await ruleIds(
        file,
        "import { createSocket } from 'node:dgram';\nimport { msinetDriver } from '../driver.js';\nexport const x = [createSocket, msinetDriver];\n",
      );
      assert.deepEqual(ids, ['no-restricted-imports'], file);
    }
  });

  test('the msinet tool may not link the driver in', async () => {
    const ids = await ruleIds(
      'src/tool/x.ts',
      "import { msinetDriver } from '../driver.js';\nexport const x = msinetDriver;\n",
    );
    assert.deepEqual(ids, ['no-restricted-imports']);
  });

  test('the real pure folders pass (the rules do not forbid what the code needs)', async () => {
    const results = await eslint.lintFiles(['src/model', 'src/wire', 'src/operators']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.ruleId}`));
    assert.deepEqual(problems, []);
  });
});
