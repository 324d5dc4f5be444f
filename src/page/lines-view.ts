/**
 * A list that shows the latest lines (the monitor of delivered events, the
 * log tail): lines that come in one animation frame are added at once, and
 * only the last `keep` stay, so a flood costs the page neither time nor
 * memory. A paused view counts what it skips.
 */
export class LinesView {
  private pending: { text: string; level?: string }[] = [];
  private scheduled = false;
  paused = false;
  skipped = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly keep: number,
    /** Called after lines were added (with the time they were), e.g. for latency figures. */
    private readonly onShown?: (count: number) => void,
  ) {}

  add(text: string, level?: string): void {
    if (this.paused) {
      this.skipped += 1;
      return;
    }
    this.pending.push(level === undefined ? { text } : { text, level });
    if (this.pending.length > this.keep) this.pending = this.pending.slice(-this.keep);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  clear(): void {
    this.pending = [];
    this.list.replaceChildren();
  }

  private flush(): void {
    this.scheduled = false;
    const lines = this.pending;
    this.pending = [];
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    const fragment = document.createDocumentFragment();
    for (const { text, level } of lines) {
      const item = document.createElement('li');
      item.textContent = text;
      if (level !== undefined) item.className = level;
      fragment.append(item);
    }
    this.list.append(fragment);
    while (this.list.childElementCount > this.keep) this.list.firstElementChild?.remove();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
    this.onShown?.(lines.length);
  }
}
