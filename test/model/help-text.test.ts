/** Help pages laid out for any terminal width: every word whole, in order, within the width. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatHelp, helpWidth, wrapWords, type HelpBlock } from '../../src/model/help-text.js';

const word = fc.stringMatching(/^[a-z<>[\]|:.,'-]{1,18}$/);
const text = fc.array(word, { minLength: 1, maxLength: 30 }).map((words) => words.join(' '));
const block: fc.Arbitrary<HelpBlock> = fc.oneof(
  text.map((t) => ({ kind: 'paragraph' as const, text: t })),
  fc
    .array(
      fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
      { minLength: 1, maxLength: 8 },
    )
    .map((items) => ({ kind: 'usage' as const, command: 'tool', items })),
  fc
    .record({ title: text, rows: fc.array(fc.record({ term: text, text }), { minLength: 1, maxLength: 6 }) })
    .map((r) => ({ kind: 'rows' as const, ...r })),
);

/** Every word the blocks hold, in the order a reader meets them. */
function wordsOf(blocks: readonly HelpBlock[]): string[] {
  const split = (t: string) => t.split(/\s+/).filter((w) => w !== '');
  return blocks.flatMap((b) =>
    b.kind === 'paragraph'
      ? split(b.text)
      : b.kind === 'usage'
        ? ['usage:', b.command, ...b.items.flatMap(split)]
        : [...split(b.title), ...b.rows.flatMap((r) => [...split(r.term), ...split(r.text)])],
  );
}

describe('help text', () => {
  test('wrapWords: lines within the width, a longer word alone on its line', () => {
    assert.deepEqual(wrapWords('send events to a client, wait until they have left', 20), [
      'send events to a',
      'client, wait until',
      'they have left',
    ]);
    assert.deepEqual(wrapWords('a keyOn:chan=0:pitch=60:vel=100 b', 10), [
      'a',
      'keyOn:chan=0:pitch=60:vel=100',
      'b',
    ]);
  });

  test('for any width from 10 to 250 columns: every word whole and in order, each line within the width unless one word is wider', () => {
    fc.assert(
      fc.property(
        fc.array(block, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 10, max: 250 }),
        (blocks, width) => {
          const page = formatHelp(blocks, width);
          const lines = page.split('\n');
          assert.deepEqual(
            lines.flatMap((l) => l.split(/\s+/).filter((w) => w !== '')),
            wordsOf(blocks),
            'the same words, in the same order: none cut, none lost',
          );
          for (const line of lines) {
            if (line.length <= width) continue;
            assert.equal(
              line.trim().split(/\s+/).length <= 2,
              true,
              `only a word too wide for the line overflows: '${line}'`,
            );
          }
        },
      ),
    );
  });

  test('usage items stay whole: a bracketed group is never broken across lines', () => {
    const usage: HelpBlock = {
      kind: 'usage',
      command: 'msInetDriver',
      items: ['[-p port]', '[-s [host[:port] ...]]', '[-v]'],
    };
    assert.equal(
      formatHelp([usage], 52),
      'usage: msInetDriver [-p port] [-s [host[:port] ...]]\n                    [-v]\n',
    );
    assert.equal(
      formatHelp([usage], 30),
      'usage: msInetDriver\n  [-p port]\n  [-s [host[:port] ...]] [-v]\n',
    );
  });

  test('rows: the meaning beside its term when there is room, under it when not', () => {
    const rows: HelpBlock = {
      kind: 'rows',
      title: 'Flags:',
      rows: [{ term: '-g <ms>', text: 'grouping period (default: 10)' }],
    };
    assert.equal(formatHelp([rows], 80), 'Flags:\n  -g <ms>  grouping period (default: 10)\n');
    assert.equal(formatHelp([rows], 30), 'Flags:\n  -g <ms>\n      grouping period\n      (default: 10)\n');
  });

  test("the width is the terminal's, or 80 when the output is not a terminal", () => {
    assert.equal(helpWidth({ isTTY: true, columns: 132 }), 132);
    assert.equal(helpWidth({ isTTY: false, columns: 132 }), 80);
    assert.equal(helpWidth({}), 80);
  });
});
