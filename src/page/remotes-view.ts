/**
 * The remote stations, one card each: name, address, state, clock offset,
 * the late / missing / duplicate counts, activity meters (events a second,
 * in and out) and the deviation histogram. Fed by `stats` pushes; `tick`
 * lets the meters fall back to zero when nothing changes (the driver pushes
 * only changes).
 */
import type { ClientJson, StatsPush } from '../wire/local-protocol.js';
import { countedDeviation, drawHistogram, SampledDeviation } from './deviation.js';

/** A remote that left stays listed, greyed, this long. */
const GONE_KEEP_MS = 10_000;
/** Activity is counted over this window. */
const RATE_WINDOW_MS = 1000;

interface Card {
  root: HTMLLIElement;
  state: HTMLElement;
  address: HTMLElement;
  figures: Map<string, HTMLElement>;
  meters: { in: HTMLMeterElement; out: HTMLMeterElement; inText: HTMLElement; outText: HTMLElement };
  histogram: SVGSVGElement;
  note: HTMLElement;
  sampled: SampledDeviation | undefined;
  counts: { at: number; eventsIn: number; eventsOut: number }[];
  lastIn: { at: number; eventsIn: number };
  goneAt: number | undefined;
}

const FIGURES: [key: string, label: string, unit: string][] = [
  ['offset', 'Clock offset', 'ms'],
  ['transit', 'Last deviation', 'ms'],
  ['maxTransit', 'Largest deviation', 'ms'],
  ['late', 'Late packets', ''],
  ['missing', 'Missing packets', ''],
  ['duplicates', 'Duplicates', ''],
  ['eventsIn', 'Events in', ''],
  ['eventsOut', 'Events out', ''],
];

export class RemotesView {
  private readonly cards = new Map<number, Card>();
  private maxLatency = 10;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
  ) {}

  /** The remotes the driver lists now, with their statistics. */
  update(push: StatsPush, now: number): void {
    const latency = Number(push.status['maxLatency']);
    if (Number.isFinite(latency) && latency > 0) this.maxLatency = latency;
    const present = new Set<number>();
    for (const remote of push.remotes) {
      present.add(remote.ref);
      const card = this.cards.get(remote.ref) ?? this.add(remote);
      this.fill(card, remote, now);
    }
    for (const [ref, card] of this.cards) {
      if (present.has(ref) || card.goneAt !== undefined) continue;
      card.goneAt = now;
      card.root.classList.add('gone');
      card.state.textContent = 'gone';
    }
    this.tick(now);
  }

  /** Meters and states as time passes; gone remotes leave after a while. */
  tick(now: number): void {
    for (const [ref, card] of this.cards) {
      if (card.goneAt !== undefined) {
        if (now - card.goneAt > GONE_KEEP_MS) {
          card.root.remove();
          this.cards.delete(ref);
        }
        continue;
      }
      const last = card.counts[card.counts.length - 1];
      if (last) card.counts.push({ ...last, at: now });
      card.counts = card.counts.filter((c) => now - c.at <= 2 * RATE_WINDOW_MS);
      const since = card.counts.find((c) => now - c.at <= RATE_WINDOW_MS) ?? last;
      const rateIn = last && since ? ((last.eventsIn - since.eventsIn) * 1000) / RATE_WINDOW_MS : 0;
      const rateOut = last && since ? ((last.eventsOut - since.eventsOut) * 1000) / RATE_WINDOW_MS : 0;
      setMeter(card.meters.in, card.meters.inText, rateIn);
      setMeter(card.meters.out, card.meters.outText, rateOut);
      card.state.textContent = now - card.lastIn.at < RATE_WINDOW_MS ? 'receiving' : 'connected, idle';
    }
    this.empty.hidden = this.cards.size > 0;
  }

  private add(remote: ClientJson): Card {
    const id = `remote-${remote.ref}`;
    const root = element('li', { class: 'remote', 'aria-labelledby': `${id}-name` });
    const heading = element('h3', { id: `${id}-name` }, remote.name);
    const state = element('span', { class: 'state' });
    const address = element('span', { class: 'address' });
    heading.append(' ', state);
    const dl = element('dl', { class: 'figures' });
    const figures = new Map<string, HTMLElement>();
    for (const [key, label] of FIGURES) {
      const dd = element('dd', { 'data-figure': key });
      dl.append(element('dt', {}, label), dd);
      figures.set(key, dd);
    }
    const meter = (direction: 'in' | 'out') => {
      const meterId = `${id}-${direction}`;
      const m = element('meter', { id: meterId, min: '0', max: '100', value: '0' }) as HTMLMeterElement;
      const text = element('span', { class: 'rate' }, '0 events/s');
      const row = element('div', { class: 'meter' });
      row.append(
        element('label', { for: meterId }, direction === 'in' ? 'Activity in' : 'Activity out'),
        m,
        text,
      );
      return { row, m, text };
    };
    const inMeter = meter('in');
    const outMeter = meter('out');
    const histogram = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    histogram.setAttribute('class', 'histogram');
    histogram.setAttribute('role', 'img');
    const caption = element('p', { class: 'histogram-caption' });
    const figure = element('figure', { class: 'deviation' });
    figure.append(histogram, caption);
    root.append(heading, address, dl, inMeter.row, outMeter.row, figure);
    this.list.append(root);
    const card: Card = {
      root,
      state,
      address,
      figures,
      meters: { in: inMeter.m, out: outMeter.m, inText: inMeter.text, outText: outMeter.text },
      histogram,
      note: caption,
      sampled: undefined,
      counts: [],
      lastIn: { at: -Infinity, eventsIn: 0 },
      goneAt: undefined,
    };
    this.cards.set(remote.ref, card);
    return card;
  }

  private fill(card: Card, remote: ClientJson, now: number): void {
    const stats = remote.stats ?? {};
    card.address.textContent = remote.address ?? '';
    for (const [key, , unit] of FIGURES) {
      const value = stats[key];
      const shown =
        typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : '–';
      card.figures.get(key)!.textContent = unit && shown !== '–' ? `${shown} ${unit}` : shown;
    }
    const eventsIn = Number(stats['eventsIn'] ?? 0);
    const eventsOut = Number(stats['eventsOut'] ?? 0);
    if (eventsIn !== card.lastIn.eventsIn) card.lastIn = { at: now, eventsIn };
    card.counts.push({ at: now, eventsIn, eventsOut });

    const counted = countedDeviation(stats);
    const histogram = counted ?? (card.sampled ??= new SampledDeviation(this.maxLatency)).update(stats);
    const name = card.root.querySelector('h3')?.firstChild?.textContent ?? '';
    drawHistogram(card.histogram, histogram, this.maxLatency, name);
    card.note.textContent =
      `Delivery deviation, ${histogram.bucketMs} ms a bar` +
      (histogram.sampled ? ' (sampled from the last deviation at each update)' : '') +
      `; the line marks the maximum latency, ${this.maxLatency} ms.`;
  }
}

function setMeter(meter: HTMLMeterElement, text: HTMLElement, rate: number): void {
  const shown = Math.max(0, Math.round(rate));
  if (shown > meter.max) meter.max = shown;
  meter.value = shown;
  text.textContent = `${shown} events/s`;
}

/** A new element with attributes and text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
