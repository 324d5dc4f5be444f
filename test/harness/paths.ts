/**
 * Where the harness finds the repository and the shared folder beside it.
 * CI clones the repository anywhere with `../shared` next to it, so both are
 * found from this file's location, never from a fixed path.
 */
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The shared folder (SPEC, DESIGN, original-peer); `MSINET_SHARED_DIR` overrides it. */
export const SHARED_DIR = process.env.MSINET_SHARED_DIR ?? join(REPO_ROOT, '..', 'shared');

export const ORIGINAL_PEER_DIR = join(SHARED_DIR, 'original-peer');

/** Node arguments that run a TypeScript file of this repository (cwd must be REPO_ROOT for `tsx` to resolve). */
export function tsNodeArgs(file: string, args: readonly string[] = []): string[] {
  return ['--import', 'tsx', join(REPO_ROOT, file), ...args];
}
