/**
 * Errors are values at the edges (DESIGN.md): a parser answers with a value or
 * the reason it has none, and never throws on input it did not make.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Result<T> => ({ ok: false, reason });
