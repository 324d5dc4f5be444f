/**
 * The connection matrix: a row per local client, a column per remote
 * station, and in each cell two toggle buttons, one per direction (the
 * client sends to the station; the station's events reach the client).
 * A click asks the driver to connect or disconnect; the table changes when
 * the driver's `clients` push says it did, so it always shows the truth.
 */
import type { ClientsPush, ClientJson } from '../wire/local-protocol.js';
import { element } from './remotes-view.js';

export type Toggle = (src: number, dst: number, connect: boolean) => void;

export class MatrixView {
  constructor(
    private readonly table: HTMLTableElement,
    private readonly empty: HTMLElement,
    private readonly toggle: Toggle,
    /** Refs of this page's own clients, marked in their row. */
    private readonly ownRefs: () => ReadonlySet<number>,
  ) {}

  update(push: Pick<ClientsPush, 'clients' | 'connections'>): void {
    const locals = push.clients.filter((c) => c.kind === 'local');
    const remotes = push.clients.filter((c) => c.kind === 'remote');
    const connected = new Set(push.connections.map(({ src, dst }) => `${src}>${dst}`));
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.id : '';

    this.table.replaceChildren();
    const nothing = locals.length === 0 || remotes.length === 0;
    this.empty.hidden = !nothing;
    if (nothing) return;
    const caption = element('caption', {}, 'Local clients (rows) and remote stations (columns)');
    const head = element('tr');
    head.append(element('th', { scope: 'col' }, 'Local client'));
    for (const remote of remotes) head.append(element('th', { scope: 'col' }, remote.name));
    const body = element('tbody');
    for (const local of locals) {
      const row = element('tr');
      const own = this.ownRefs().has(local.ref);
      row.append(element('th', { scope: 'row' }, own ? `${local.name} (this page)` : local.name));
      for (const remote of remotes) {
        const cell = element('td');
        cell.append(
          this.button(local, remote, 'send', connected.has(`${local.ref}>${remote.ref}`)),
          this.button(local, remote, 'receive', connected.has(`${remote.ref}>${local.ref}`)),
        );
        row.append(cell);
      }
      body.append(row);
    }
    const thead = element('thead');
    thead.append(head);
    this.table.append(caption, thead, body);
    if (focused) document.getElementById(focused)?.focus();
  }

  private button(
    local: ClientJson,
    remote: ClientJson,
    way: 'send' | 'receive',
    on: boolean,
  ): HTMLButtonElement {
    const [src, dst] = way === 'send' ? [local, remote] : [remote, local];
    const label =
      way === 'send' ? `${local.name} sends to ${remote.name}` : `${local.name} receives from ${remote.name}`;
    const button = element(
      'button',
      {
        type: 'button',
        id: `link-${src.ref}-${dst.ref}`,
        class: `link ${way}`,
        'aria-pressed': String(on),
        'aria-label': label,
        title: `${label}: ${on ? 'connected, click to disconnect' : 'not connected, click to connect'}`,
        'data-src': String(src.ref),
        'data-dst': String(dst.ref),
      },
      way === 'send' ? '→ send' : '← receive',
    );
    button.addEventListener('click', () => this.toggle(src.ref, dst.ref, !on));
    return button;
  }
}
