/**
 * Help pages as the tools print them (`--help`): paragraphs, and rows of a
 * term (a flag, a command) and its meaning, laid out for the terminal's width.
 * Lines break between words, never inside one: a word longer than the line
 * stays whole on a line of its own (the terminal folds it, but no tool cut it).
 */

/** A flag or command and what it does (with its default, written into `text`). */
export interface HelpRow {
  term: string;
  text: string;
}

export type HelpBlock =
  | { kind: 'paragraph'; text: string }
  /** `usage: <command> <items>`: an item (`[-s [host[:port] ...]]`) is never broken; later lines line up under the first item. */
  | { kind: 'usage'; command: string; items: string[] }
  | { kind: 'rows'; title: string; rows: HelpRow[] };

/** Below this many columns for the meaning, it goes under its term instead of beside it. */
const MIN_TEXT_WIDTH = 30;
/** A term longer than this does not widen the column: its meaning starts on the next line. */
const MAX_TERM_WIDTH = 30;
const INDENT = '  ';
const UNDER_INDENT = '      ';

/** `text`'s words in lines of at most `width` characters; a longer word stands alone on its line. */
export function wrapWords(text: string, width: number): string[] {
  return wrapUnits(text.split(/\s+/), width, width);
}

/** Units (words, or groups never to be broken) in lines of `width` characters, `laterWidth` after the first. */
function wrapUnits(units: readonly string[], width: number, laterWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  // A group wider than a whole line is broken after all, between its words.
  const fitting = units.flatMap((unit) =>
    unit.length > Math.min(width, laterWidth) ? unit.split(/\s+/) : [unit],
  );
  for (const word of fitting.filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= (lines.length === 0 ? width : laterWidth))
      line = `${line} ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function rowLines(rows: readonly HelpRow[], width: number): string[] {
  const widest = Math.max(0, ...rows.map((row) => row.term.length).filter((n) => n <= MAX_TERM_WIDTH));
  const column = INDENT.length + widest + 2;
  const beside = width - column >= MIN_TEXT_WIDTH;
  return rows.flatMap((row) => {
    const term = wrapWords(row.term, width - INDENT.length).map((line) => INDENT + line);
    if (!beside) {
      const under = wrapWords(row.text, width - UNDER_INDENT.length).map((line) => UNDER_INDENT + line);
      return [...term, ...under];
    }
    const text = wrapWords(row.text, width - column).map((line) => ' '.repeat(column) + line);
    const [head = ''] = term;
    if (term.length > 1 || head.length + 2 > column || text.length === 0) return [...term, ...text];
    return [head + (text[0] as string).slice(head.length), ...text.slice(1)];
  });
}

function usageLines(command: string, items: readonly string[], width: number): string[] {
  const head = `usage: ${command} `;
  const hang = ' '.repeat(head.length);
  const beside = width - head.length >= MIN_TEXT_WIDTH;
  if (!beside) return [head.trimEnd(), ...wrapUnits(items, width - 2, width - 2).map((line) => `  ${line}`)];
  return wrapUnits(items, width - head.length, width - head.length).map(
    (line, i) => (i === 0 ? head : hang) + line,
  );
}

/** The page for a terminal `width` columns wide. */
export function formatHelp(blocks: readonly HelpBlock[], width: number): string {
  const parts = blocks.map((block) =>
    block.kind === 'paragraph'
      ? wrapWords(block.text, width).join('\n')
      : block.kind === 'usage'
        ? usageLines(block.command, block.items, width).join('\n')
        : [...wrapWords(block.title, width), ...rowLines(block.rows, width)].join('\n'),
  );
  return `${parts.join('\n\n')}\n`;
}

/** Columns to lay help out for: the terminal's, or 80 when the output is not a terminal. */
export function helpWidth(output: { isTTY?: boolean; columns?: number }): number {
  return output.isTTY === true && output.columns !== undefined && output.columns > 0 ? output.columns : 80;
}
