/**
 * A user's own operators from the command line (`--inbound` / `--outbound`,
 * docs/operators.md): each module's default export is a
 * `MonoTypeOperatorFunction<MidiEvent>`; several are applied in the order given.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { identity, pipe, type MonoTypeOperatorFunction } from 'rxjs';
import type { MidiEvent } from '../model/event.js';
import { fail, ok, type Result } from '../model/result.js';

export type EventOperator = MonoTypeOperatorFunction<MidiEvent>;

export async function loadOperator(path: string): Promise<Result<EventOperator>> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
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
