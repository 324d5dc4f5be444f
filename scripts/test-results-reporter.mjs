// A node:test reporter for scripts/run-tests.mjs: one JSON line per finished test or
// suite, with what the summary needs (outcome, nesting, file, skip/todo reason, failure
// type and message). node's own counts leave skipped suites out, so the runner counts
// from these lines instead.

/** The first line of an error's message, and of its cause's (a hook's error is its cause). */
function reasonOf(error) {
  if (error === undefined || error === null) return undefined;
  const first = (value) => String(value?.message ?? value ?? '').split('\n')[0];
  const cause = error.cause === undefined ? '' : first(error.cause);
  const own = first(error);
  return cause && cause !== own ? `${own}: ${cause}` : own;
}

/** An error's first line as a test file's stderr shows it when the file dies outside any test. */
const ERROR_LINE = /^(?:[A-Z]\w*)?Error\b.*:/;

export default async function* testResults(source) {
  for await (const { type, data } of source) {
    if (type === 'test:stderr' && ERROR_LINE.test(data.message ?? '')) {
      yield `${JSON.stringify({ stderrError: data.message.trim(), file: data.file })}\n`;
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const error = data.details?.error;
    yield `${JSON.stringify({
      outcome: type === 'test:pass' ? 'pass' : 'fail',
      name: data.name,
      nesting: data.nesting,
      file: data.file,
      suite: data.details?.type === 'suite',
      skip: data.skip,
      todo: data.todo,
      failureType: error?.failureType,
      reason: reasonOf(error),
    })}\n`;
  }
}
