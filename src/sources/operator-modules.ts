/**
 * A user's own operators from the command line (`--inbound` / `--outbound`,
 * docs/operators.md): each module's default export is a
 * `MonoTypeOperatorFunction<MidiEvent>`; several are applied in the order given.
 * A module may live in any folder and be JavaScript or TypeScript: the hooks
 * of operator-hooks.ts give it the driver's rxjs and strip its types.
 */
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { identity, pipe, type MonoTypeOperatorFunction } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import { fail, ok, type Result } from '../model/result.js';
import { USER_MARK, type OperatorHooksData } from './operator-hooks.js';

export type EventOperator = MonoTypeOperatorFunction<MidiEvent>;

let hooksRegistered = false;

/** Once, before the first user module: the hooks that resolve its rxjs and load its TypeScript. */
function registerHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  const data: OperatorHooksData = { driverUrl: import.meta.url };
  register(new URL('./operator-hooks.js', import.meta.url), { data });
}

export async function loadOperator(path: string): Promise<Result<EventOperator>> {
  registerHooks();
  const url = pathToFileURL(resolve(path));
  url.searchParams.set(USER_MARK, '');
  let module: { default?: unknown };
  try {
    module = (await import(url.href)) as { default?: unknown };
  } catch (error) {
    return fail(`${path}: cannot load it: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof module.default !== 'function') {
    return fail(
      `${path}: its default export must be an operator (a function of an Observable), not ${typeof module.default}`,
    );
  }
  return ok(module.default as EventOperator);
}

/** The operators of these modules, one after the other; identity for none. */
export async function loadOperators(paths: readonly string[]): Promise<Result<EventOperator>> {
  const operators: EventOperator[] = [];
  for (const path of paths) {
    const loaded = await loadOperator(path);
    if (!loaded.ok) return loaded;
    operators.push(loaded.value);
  }
  return ok(operators.reduce<EventOperator>((all, next) => pipe(all, next), identity));
}
