/**
 * Figures from stamps: exact percentiles over sorted samples (they can be
 * negative, which a histogram would not hold), delivery delays matched by
 * event id, burst rates, and the markdown the benchmark prints.
 */

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/** Send and delivery times (ms, one clock) by event id. */
export interface Stamps {
  sent: ReadonlyMap<number, number>;
  delivered: ReadonlyMap<number, number>;
}

/** delivery − send − `constantMs` of every event sent and delivered, in send order. */
export function delays(stamps: Stamps, constantMs: number): number[] {
  const out: number[] = [];
  for (const [id, sentAt] of stamps.sent) {
    const deliveredAt = stamps.delivered.get(id);
    if (deliveredAt !== undefined) out.push(deliveredAt - sentAt - constantMs);
  }
  return out;
}

export interface BurstFigures {
  sent: number;
  delivered: number;
  lost: number;
  /** First send to last delivery, ms. */
  spanMs: number;
  /** Delivered events per second over the span. */
  rate: number;
}

export function burstFigures(stamps: Stamps): BurstFigures {
  const sentTimes = [...stamps.sent.values()];
  const deliveredTimes = [...stamps.sent.keys()].flatMap((id) => stamps.delivered.get(id) ?? []);
  const first = sentTimes.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  const last = deliveredTimes.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const spanMs = deliveredTimes.length === 0 ? Number.NaN : last - first;
  return {
    sent: sentTimes.length,
    delivered: deliveredTimes.length,
    lost: sentTimes.length - deliveredTimes.length,
    spanMs,
    rate: deliveredTimes.length === 0 ? 0 : (deliveredTimes.length * 1000) / spanMs,
  };
}

/** `digits` decimals, or `–` for a missing figure. */
export function fixed(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** A whole number with thousands separators, or `–`. */
export function whole(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');
}

/** A markdown table; `numeric` columns are right-aligned. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = headers.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}
