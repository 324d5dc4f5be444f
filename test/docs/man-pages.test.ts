// The man pages (man/msInetDriver.1, man/msinet.1, installed through
// package.json's `man` field): groff takes them without a warning, man renders
// them, and each lists every flag and command the tools take, so a flag added to
// a tool without its man page fails here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { driverFlags } from '../../src/cli-flags.js';
import { GLOBAL_FLAGS, TOOL_COMMANDS } from '../../src/tool/commands.js';
import { REPO_ROOT } from '../harness/paths.js';

const PAGES = ['man/msInetDriver.1', 'man/msinet.1'];
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  man: string[];
  files: string[];
};
const source = (page: string) => readFileSync(join(REPO_ROOT, page), 'utf8');

/** The tags of a page's entries (the line after each `.TP`), as plain text: escapes and font requests taken out. */
function entryTags(page: string): string[] {
  const lines = source(page).split('\n');
  return lines
    .flatMap((line, i) => (lines[i - 1] === '.TP' ? [line] : []))
    .map((line) =>
      line
        .replace(/^\.(B|I|BR|RB|BI|IB|IR|RI)\b ?/, '')
        .replace(/\\f[BIRP]/g, '')
        .replace(/\\-/g, '-')
        .replace(/"/g, ''),
    );
}

/** Whether some entry's tag names `name` (`-lat`, `--socket`, `clients`). */
function hasEntry(tags: readonly string[], name: string): boolean {
  const pattern = new RegExp(`(^|[\\s,\\[])${name.replace(/[-]/g, '\\-')}(\\b|$)`);
  return tags.some((tag) => pattern.test(tag));
}

/** The flags a page must show: each name once, as `-lat` or `--socket`. */
const names = (term: string) => term.split(', ').map((t) => t.split(' ')[0] as string);

describe('man pages', () => {
  test('package.json installs both, and ships the man folder', () => {
    assert.deepEqual(
      pkg.man,
      PAGES.map((p) => `./${p}`),
    );
    assert.ok(pkg.files.includes('man'));
  });

  for (const page of PAGES) {
    test(`${page}: the version of the package, and the sections a man page has`, () => {
      const text = source(page);
      assert.match(
        text,
        new RegExp(`^\\.TH \\S+ 1 "\\d{4}" "msinet ${pkg.version.replace(/\./g, '\\.')}"`, 'm'),
      );
      for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'SEE ALSO']) {
        assert.match(text, new RegExp(`^\\.SH ${section}$`, 'm'), `${page} has ${section}`);
      }
    });
  }

  test('msInetDriver.1 has an entry for every flag of msInetDriver', () => {
    const tags = entryTags('man/msInetDriver.1');
    for (const flag of driverFlags({ uid: 0, home: homedir() })) {
      for (const name of names(flag.term)) assert.ok(hasEntry(tags, name), `an entry for ${name}`);
    }
  });

  test('msinet.1 has an entry for every command and flag of msinet', () => {
    const tags = entryTags('man/msinet.1');
    for (const command of TOOL_COMMANDS) {
      assert.ok(hasEntry(tags, command.name), `an entry for ${command.name}`);
      for (const flag of command.flags) {
        for (const name of names(flag.term))
          assert.ok(hasEntry(tags, name), `an entry for ${command.name} ${name}`);
      }
    }
    for (const flag of GLOBAL_FLAGS) {
      for (const name of names(flag.term)) assert.ok(hasEntry(tags, name), `an entry for ${name}`);
    }
  });

  const groff = spawnSync('groff', ['--version'], { stdio: 'ignore' });
  test(
    'groff formats both without a warning',
    { skip: groff.error === undefined ? false : 'groff is not installed' },
    () => {
      for (const page of PAGES) {
        const run = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(REPO_ROOT, page)], {
          encoding: 'utf8',
        });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stderr, '', `${page}: ${run.stderr}`);
      }
    },
  );

  const man = spawnSync('man', ['--version'], { stdio: 'ignore' });
  test(
    'man renders both, 80 columns wide, with no word broken by a hyphen',
    { skip: man.error === undefined ? false : 'man is not installed' },
    () => {
      for (const page of PAGES) {
        const run = spawnSync('man', ['-l', join(REPO_ROOT, page)], {
          encoding: 'utf8',
          env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' },
        });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^NAME$/m);
        assert.match(run.stdout, /^OPTIONS$/m);
        for (const line of run.stdout.split('\n')) assert.ok(line.length <= 80, `${page}: '${line}' fits`);
        assert.doesNotMatch(run.stdout, /[a-z][-‐]\n/, `${page}: no word hyphenated at a line's end`);
      }
    },
  );
});
