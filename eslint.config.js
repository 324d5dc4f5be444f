import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node modules and packages that do I/O: sockets, files, processes, timers, terminals, devices, logs. */
const IO_MODULES = [
  'node:child_process',
  'node:dgram',
  'node:fs',
  'node:fs/promises',
  'node:http',
  'node:https',
  'node:net',
  'node:os',
  'node:perf_hooks',
  'node:readline',
  'node:timers',
  'node:timers/promises',
  'node:tty',
  'node:worker_threads',
  '@julusian/midi',
  'winston',
  'ws',
  'yargs',
];
const IO_MESSAGE =
  'pure code (DESIGN.md): no sockets, files, timers, clocks or devices; take them from sources/ or sinks/';

/** Time is injected (DESIGN.md): pure code reads no clock and sets no timer of its own. */
const CLOCK_MESSAGE = 'take time from the injected SchedulerLike: scheduler.now() / scheduler.schedule()';
const CLOCK_RULES = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: CLOCK_MESSAGE },
    { object: 'performance', property: 'now', message: CLOCK_MESSAGE },
  ],
  'no-restricted-globals': [
    'error',
    ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'].map((name) => ({
      name,
      message: CLOCK_MESSAGE,
    })),
  ],
};

/** An import rule for one folder of src/: no I/O module unless `io` is false, and none of the `src` folders or files. */
function restrict(files, { io = true, src }, why) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: io ? IO_MODULES.map((name) => ({ name, message: IO_MESSAGE })) : [],
          patterns: src.map((folder) => ({ group: [`../${folder}`, `../${folder}/*`], message: why })),
        },
      ],
      ...(io ? CLOCK_RULES : {}),
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The folder rules of DESIGN.md: model ◀ wire ◀ operators are pure; only sources/ and sinks/
  // do I/O; driver.ts alone knows both; the msinet tool is a client of the endpoint, not the driver.
  restrict(
    ['src/model/**'],
    { src: ['wire', 'operators', 'sources', 'sinks', 'tool', 'driver.js', 'cli.js', 'run.js'] },
    'model/ is the bottom layer: it imports nothing else of src/',
  ),
  restrict(
    ['src/wire/**'],
    { src: ['operators', 'sources', 'sinks', 'tool', 'driver.js', 'cli.js', 'run.js'] },
    'wire/ is pure: it imports only model/',
  ),
  restrict(
    ['src/operators/**'],
    { src: ['sources', 'sinks', 'tool', 'driver.js', 'cli.js', 'run.js'] },
    'operators/ are pure: they import only model/ and wire/, and take time as a SchedulerLike',
  ),
  restrict(
    ['src/sources/**', 'src/sinks/**'],
    { io: false, src: ['tool', 'driver.js', 'cli.js', 'run.js'] },
    'sources/ and sinks/ are the edges: driver.ts composes them, they do not reach back into it',
  ),
  // The status page runs in a browser: no Node module, and of src/ only what is pure (model/, wire/).
  {
    files: ['src/page/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'rxjs', 'ws', 'winston', 'yargs', '@julusian/*'],
              message: 'the page runs in a browser',
            },
            {
              group: [
                '../operators',
                '../operators/*',
                '../sources',
                '../sources/*',
                '../sinks',
                '../sinks/*',
              ],
              message: 'the page imports only the pure model/ and wire/: the server serves nothing else',
            },
            {
              group: ['../tool', '../tool/*', '../driver.js', '../cli.js', '../run.js'],
              message: 'the page is a client',
            },
          ],
        },
      ],
    },
  },
  restrict(
    ['src/tool/**'],
    { io: false, src: ['sinks', 'driver.js', 'cli.js', 'run.js'] },
    'the msinet tool is a client of the local endpoint: it never links the driver in',
  ),
);
