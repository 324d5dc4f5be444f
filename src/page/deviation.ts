/**
 * Each remote's delivery deviation (SPEC §4: `cur`, how much later than
 * usual a packet came) as a histogram. When the driver counts it
 * (`stats.deviation = { bucketMs, counts }`, the last bucket catching all
 * above), that is shown as it is. Until then the page samples `stats.transit`
 * (the deviation of the last packet that began a group) at each update in
 * which packets came, and says that it does.
 */

export interface Histogram {
  bucketMs: number;
  /** counts[i]: packets with deviation in [i·bucketMs, (i+1)·bucketMs); the last one: above. */
  counts: number[];
  /** True when the page sampled it, false when the driver counted every packet. */
  sampled: boolean;
}

/** The driver's histogram, when its statistics carry a well-formed one. */
export function countedDeviation(stats: Record<string, unknown> | undefined): Histogram | undefined {
  const deviation = stats?.['deviation'] as { bucketMs?: unknown; counts?: unknown } | undefined;
  if (typeof deviation !== 'object' || deviation === null) return undefined;
  const { bucketMs, counts } = deviation;
  if (typeof bucketMs !== 'number' || !(bucketMs > 0) || !Array.isArray(counts) || counts.length === 0) {
    return undefined;
  }
  if (!counts.every((n) => typeof n === 'number' && n >= 0)) return undefined;
  return { bucketMs, counts: counts as number[], sampled: false };
}

/** A histogram the page fills from samples, sized for the driver's maximum latency. */
export class SampledDeviation {
  private readonly histogram: Histogram;
  private lastPackets = -1;

  constructor(maxLatency: number) {
    const bucketMs = niceStep(Math.max(1, maxLatency) / 10);
    const buckets = Math.min(40, Math.ceil((2 * Math.max(1, maxLatency)) / bucketMs)) + 1;
    this.histogram = { bucketMs, counts: new Array<number>(buckets).fill(0), sampled: true };
  }

  /** One update's statistics: a sample when packets came since the last one. */
  update(stats: Record<string, unknown> | undefined): Histogram {
    const packets = Number(stats?.['packetsIn'] ?? 0);
    const transit = Number(stats?.['transit']);
    if (this.lastPackets >= 0 && packets > this.lastPackets && Number.isFinite(transit)) {
      const { counts, bucketMs } = this.histogram;
      const bucket = Math.min(counts.length - 1, Math.max(0, Math.floor(transit / bucketMs)));
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    this.lastPackets = packets;
    return this.histogram;
  }
}

/** 1, 2, 5, 10, 20, 50… ms: the smallest at or above `ms`. */
function niceStep(ms: number): number {
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 5]) if (step * scale >= ms) return step * scale;
  }
}

/** The deviation below which `fraction` of the packets came, in ms (an upper bound: the bucket's end). */
export function quantile(histogram: Histogram, fraction: number): number | undefined {
  const total = histogram.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (const [i, n] of histogram.counts.entries()) {
    seen += n;
    if (seen >= fraction * total) return (i + 1) * histogram.bucketMs;
  }
  return histogram.counts.length * histogram.bucketMs;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Draws the histogram as bars into `svg` (a fixed 200×60 view box), with a line at maxLatency; says it in words too. */
export function drawHistogram(
  svg: SVGSVGElement,
  histogram: Histogram,
  maxLatency: number,
  name: string,
): void {
  const { counts, bucketMs } = histogram;
  const total = counts.reduce((a, b) => a + b, 0);
  const peak = Math.max(1, ...counts);
  const width = 200 / counts.length;
  while (svg.firstChild) svg.firstChild.remove();
  svg.setAttribute('viewBox', '0 0 200 60');
  svg.setAttribute('preserveAspectRatio', 'none');
  for (const [i, n] of counts.entries()) {
    const bar = document.createElementNS(SVG, 'rect');
    const height = n === 0 ? 0 : Math.max(1, (n / peak) * 58);
    bar.setAttribute('x', String(i * width + 0.5));
    bar.setAttribute('y', String(60 - height));
    bar.setAttribute('width', String(Math.max(0.5, width - 1)));
    bar.setAttribute('height', String(height));
    bar.setAttribute('class', i === counts.length - 1 ? 'bar overflow' : 'bar');
    svg.append(bar);
  }
  const limit = (maxLatency / bucketMs) * width;
  if (limit > 0 && limit < 200) {
    const line = document.createElementNS(SVG, 'line');
    for (const [k, v] of [
      ['x1', limit],
      ['x2', limit],
      ['y1', 0],
      ['y2', 60],
    ] as const)
      line.setAttribute(k, String(v));
    line.setAttribute('class', 'limit');
    svg.append(line);
  }
  const median = quantile(histogram, 0.5);
  const p95 = quantile(histogram, 0.95);
  const words =
    total === 0
      ? `${name}: no packets yet`
      : `${name}: ${total} packets${histogram.sampled ? ' sampled' : ''}; half within ${median} ms, ` +
        `95% within ${p95} ms of the usual transit; ${counts[counts.length - 1] ?? 0} beyond ` +
        `${(counts.length - 1) * bucketMs} ms; maximum latency ${maxLatency} ms`;
  svg.setAttribute('aria-label', `Delivery deviation histogram. ${words}`);
}
