/**
 * The precise scheduler's waiting actions, earliest first: by deadline, then
 * by the order they were scheduled in. A binary heap, so that adding one,
 * cancelling one and taking the earliest each cost O(log n): the queue may
 * hold hundreds of thousands (a local client may hold 65,536 events for
 * later, each its own action), and a sorted array that is searched and
 * spliced for each made that quadratic (200,000 scheduled and cancelled took
 * 72 s; here, well under one).
 *
 * A cancelled item is only marked: its entry stays in the heap until it comes
 * to the top, or until such entries outnumber the live ones, when the heap is
 * rebuilt without them, so memory stays in proportion to what is queued.
 */

/** What the queue keeps on an item: where it sorts, and whether it is in now. */
export interface Queueable {
  deadline: number;
  /** Unique per `add`: later adds of equal deadline come later. */
  order: number;
  queued: boolean;
}

interface Entry<T> {
  readonly item: T;
  readonly deadline: number;
  readonly order: number;
}

/** Rebuilding costs O(n): done when dead entries are this many and outnumber the live ones. */
const COMPACT_AT = 64;

export class DeadlineQueue<T extends Queueable> {
  private heap: Entry<T>[] = [];
  private live = 0;
  private dead = 0;

  /** Items queued now. */
  get size(): number {
    return this.live;
  }

  /** Queues `item` at its `deadline` and `order` (it must not be queued already). */
  add(item: T): void {
    this.heap.push({ item, deadline: item.deadline, order: item.order });
    this.up(this.heap.length - 1);
    item.queued = true;
    this.live += 1;
  }

  /** Takes `item` out, if it is in. */
  remove(item: T): void {
    if (!item.queued) return;
    item.queued = false;
    this.live -= 1;
    this.dead += 1;
    if (this.live === 0) {
      this.heap = [];
      this.dead = 0;
    } else if (this.dead >= COMPACT_AT && this.dead > this.live) this.compact();
  }

  /** The earliest item, left in. */
  peek(): T | undefined {
    this.dropDeadTop();
    return this.heap[0]?.item;
  }

  /** The earliest item, taken out. */
  pop(): T | undefined {
    this.dropDeadTop();
    const top = this.heap[0];
    if (top === undefined) return undefined;
    this.removeTop();
    top.item.queued = false;
    this.live -= 1;
    return top.item;
  }

  /** An entry is live while its item is queued from the same `add` (a rescheduled item has a new order). */
  private isLive(entry: Entry<T>): boolean {
    return entry.item.queued && entry.item.order === entry.order;
  }

  private dropDeadTop(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0] as Entry<T>)) {
      this.removeTop();
      this.dead -= 1;
    }
  }

  private compact(): void {
    this.heap = this.heap.filter((entry) => this.isLive(entry));
    this.dead = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private removeTop(): void {
    const last = this.heap.pop() as Entry<T>;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private before(a: Entry<T>, b: Entry<T>): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
  }

  private up(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as Entry<T>;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(entry, heap[parent] as Entry<T>)) break;
      heap[i] = heap[parent] as Entry<T>;
      i = parent;
    }
    heap[i] = entry;
  }

  private down(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as Entry<T>;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && this.before(heap[right] as Entry<T>, heap[left] as Entry<T>) ? right : left;
      if (!this.before(heap[child] as Entry<T>, entry)) break;
      heap[i] = heap[child] as Entry<T>;
      i = child;
    }
    heap[i] = entry;
  }
}
