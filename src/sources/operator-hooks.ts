/**
 * Module hooks for a user's operator modules (`--inbound`, `--outbound`),
 * registered by operator-modules.ts (`module.register`; they run in Node's
 * loader thread). They touch only the modules the driver loads as operators
 * and what those import by relative paths, which carry USER_MARK in their
 * URL; the driver's own modules are left alone.
 *
 * - `rxjs` and `rxjs/…` resolve as if the driver imported them: a module in
 *   any folder needs no node_modules of its own, and it shares the driver's
 *   rxjs (one Observable, one Subscriber) instead of loading a second copy.
 * - They load as ES modules: JavaScript (`.js`, `.mjs`) as it is, whatever
 *   its folder's package.json says; TypeScript (`.ts`, `.mts`) with its types
 *   stripped (esbuild; nothing is type-checked), where a relative import may
 *   name a `.ts` file by the `.js` it would compile to, or by no extension, as
 *   tsc and tsx allow.
 */
import { readFile } from 'node:fs/promises';
import type { InitializeHook, LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The query that marks a user's module and the modules it imports by relative path. */
export const USER_MARK = 'msinet-operator';

export interface OperatorHooksData {
  /** A module of the driver: bare imports of rxjs resolve from there. */
  driverUrl: string;
}

let driverUrl = '';

export const initialize: InitializeHook<OperatorHooksData> = (data) => {
  driverUrl = data.driverUrl;
};

function marked(url: string | undefined): boolean {
  return url !== undefined && url.startsWith('file:') && new URL(url).searchParams.has(USER_MARK);
}

function mark(url: string): string {
  const marked = new URL(url);
  marked.searchParams.set(USER_MARK, '');
  return marked.href;
}

function isTypeScript(url: string): boolean {
  const path = new URL(url).pathname;
  return /\.m?ts$/.test(path) && !path.endsWith('.d.ts');
}

/** What a relative import in TypeScript may mean: the .ts behind a .js, or a file named without extension. */
function typeScriptCandidates(specifier: string): string[] {
  if (/\.m?js$/.test(specifier)) return [specifier.replace(/js$/, 'ts')];
  if (/\.[cm]?[jt]s$/.test(specifier)) return [];
  return [`${specifier}.ts`, `${specifier}/index.ts`];
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (!marked(context.parentURL)) return nextResolve(specifier, context);
  if (specifier === 'rxjs' || specifier.startsWith('rxjs/')) {
    return nextResolve(specifier, { ...context, parentURL: driverUrl });
  }
  if (!/^\.\.?\//.test(specifier)) return nextResolve(specifier, context);
  try {
    const resolved = await nextResolve(specifier, context);
    return { ...resolved, url: mark(resolved.url) };
  } catch (error) {
    if (!isTypeScript(context.parentURL as string)) throw error;
    for (const candidate of typeScriptCandidates(specifier)) {
      try {
        const resolved = await nextResolve(candidate, context);
        return { ...resolved, url: mark(resolved.url) };
      } catch {
        // the next candidate, else the first error
      }
    }
    throw error;
  }
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (!marked(url)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  if (/\.m?js$/.test(path)) {
    // An ES module whatever its folder's package.json says, as the docs promise (and not
    // CommonJS, where its imports would miss these hooks).
    return { format: 'module', source: await readFile(path, 'utf8'), shortCircuit: true };
  }
  if (!isTypeScript(url)) return nextLoad(url, context);
  const { transform } = await import('esbuild');
  const { code } = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: path,
    sourcemap: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
};
