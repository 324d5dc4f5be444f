/**
 * docs/operators.md shows each operator's marble diagram; the diagram that
 * counts is the one in the operator's source, which its first spec proves. A
 * doc that drifts from the code misleads: every `### name(…)` section's first
 * diagram must be the source's, character for character.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/paths.js';

const kebab = (name: string) =>
  name.replace(/[A-Z0-9]+/g, (part) => `-${part.toLowerCase()}`).replace(/^-/, '');

/** The first ``` block of a text, without the doc comment's ` * ` prefixes. */
function firstDiagram(text: string): string | undefined {
  const block = /```\n([\s\S]*?)```/.exec(text)?.[1];
  return block
    ?.split('\n')
    .map((line) => line.replace(/^ \* ?/, ''))
    .join('\n')
    .trimEnd();
}

test('every operator diagram in docs/operators.md is the one in its source file', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/operators.md'), 'utf8');
  const sections = doc.split(/^### /m).slice(1);
  let checked = 0;
  for (const section of sections) {
    const name = /^(\w+)\(/.exec(section)?.[1];
    if (name === undefined) continue;
    const file = join(REPO_ROOT, 'src/operators', `${kebab(name)}.ts`);
    if (!existsSync(file)) continue;
    const source = readFileSync(file, 'utf8');
    const docComment = source.slice(0, source.indexOf('*/'));
    assert.equal(
      firstDiagram(section.split(/^## /m)[0] ?? ''),
      firstDiagram(docComment),
      `${name}: docs/operators.md vs ${kebab(name)}.ts`,
    );
    checked += 1;
  }
  assert.ok(checked >= 18, `only ${checked} operator sections were found`);
});
