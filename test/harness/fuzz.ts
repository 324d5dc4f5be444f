/**
 * What every fuzz test runs with: one fixed seed, so that each run (CI's, a
 * rerun, another machine's) tries the same inputs and a failure found once
 * is found again. fast-check's failure message gives the seed and the path
 * of the shrunk counterexample:
 *
 *   MSINET_FUZZ_SEED=<seed> MSINET_FUZZ_PATH=<path> node scripts/run-tests.mjs <file>
 *
 * replays exactly that input; MSINET_FUZZ_SEED alone tries other inputs.
 */
import fc, { type Parameters } from 'fast-check';

const DEFAULT_SEED = 1_300_013;

function seedFromEnv(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`MSINET_FUZZ_SEED must be an integer, got '${text}'`);
  return seed;
}

export const FUZZ_SEED = seedFromEnv(process.env.MSINET_FUZZ_SEED);

/** fc.assert's parameters for `numRuns` runs from the fixed seed (and MSINET_FUZZ_PATH when replaying). */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  const path = process.env.MSINET_FUZZ_PATH;
  return { seed: FUZZ_SEED, numRuns, ...(path ? { path } : {}) };
}

/**
 * Bytes of any length up to `max`, short ones most often. fast-check's own
 * lengths stay near 10 unless told otherwise ("size: 'max'" spreads them over
 * the whole range), which would leave the large inputs untried.
 */
export function bytesUpTo(max: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: Math.min(max, 64) }),
    fc.uint8Array({ maxLength: max, size: 'max' }),
  );
}
