// The two programs as users start them: after tsc has compiled src/ to dist/,
// each of dist/bin/msInetDriver.js and dist/bin/msinet.js is replaced by one
// file holding what its start needs (esbuild), so a command does not first
// read hundreds of modules (yargs, rxjs) from node_modules; that reading, not
// the work, was most of a command's time.
//
// A dynamic `import('./x.js')` of our own code is where a bundle stops: it
// stays an import of the file tsc compiled into dist/, loaded only when that
// path runs. So `msInetDriver -v` and `--help` read the flag parser alone;
// the driver itself (src/daemon.ts and everything under it) runs as tsc
// compiled it, with its dependencies from node_modules, one copy of each:
// user operator modules share its rxjs, and paths it derives from its own
// location (the status page's files) stay true. Lint and the folder rules
// check the sources; the bundles are built from them and nothing else.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const OUT_DIR = join(DIST, 'bin');
const require = createRequire(import.meta.url);

/** Dynamic imports of our own modules stay imports of their compiled files in dist/. */
const lazyModules = {
  name: 'lazy-modules',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\//, namespace: 'file' }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const source = resolve(args.resolveDir, args.path);
      if (!source.startsWith(SRC + sep)) return undefined;
      const compiled = relative(OUT_DIR, join(DIST, relative(SRC, source)))
        .split(sep)
        .join('/');
      return { path: compiled.startsWith('.') ? compiled : `./${compiled}`, external: true };
    });
  },
};

/**
 * rxjs answers Node with its CommonJS build, which a bundler cannot trim; the
 * tool takes its ES module build instead, of which it keeps only what it uses.
 */
const rxjsModules = {
  name: 'rxjs-esm',
  setup(builder) {
    const root = dirname(require.resolve('rxjs/package.json'));
    builder.onResolve({ filter: /^rxjs$/ }, () => ({ path: join(root, 'dist/esm/index.js') }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: OUT_DIR,
  sourcemap: 'linked',
  // A CommonJS dependency (yargs' parts, winston's) may call require: give the ES module one.
  banner: {
    js: "import { createRequire as __msinetRequire } from 'node:module';\nconst require = __msinetRequire(import.meta.url);",
  },
  // The native MIDI binding is loaded from node_modules, as it must be.
  external: ['@julusian/midi'],
  logLevel: 'warning',
  // Less to read at each start; names stay, so a stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [lazyModules, rxjsModules],
};

await build({ ...common, entryPoints: [join(SRC, 'bin/msInetDriver.ts'), join(SRC, 'bin/msinet.ts')] });
