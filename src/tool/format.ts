/**
 * What `msinet` prints for people (the `--json` forms are printed as they come).
 */
import type { Connection } from '../model/registry.js';
import type { ClientJson } from '../wire/local-protocol.js';

/** One line per client (ref, kind, name, address), then the connections by name. */
export function formatClients(clients: readonly ClientJson[], connections: readonly Connection[]): string {
  const width = Math.max(4, ...clients.map((c) => c.name.length));
  const lines = clients.map((c) =>
    [String(c.ref).padStart(3), c.kind.padEnd(6), c.name.padEnd(width), c.address ?? ''].join('  ').trimEnd(),
  );
  const nameOf = (ref: number): string => clients.find((c) => c.ref === ref)?.name ?? `#${ref}`;
  if (connections.length > 0) {
    lines.push('connections:');
    for (const { src, dst } of connections) lines.push(`  ${nameOf(src)} -> ${nameOf(dst)}`);
  }
  return lines.join('\n');
}

/** `key: value` lines; nested values as JSON. */
export function formatStatus(status: Record<string, unknown>): string {
  return Object.entries(status)
    .map(([key, value]) => {
      const shown =
        typeof value === 'boolean'
          ? value
            ? 'yes'
            : 'no'
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
      return `${key}: ${shown}`;
    })
    .join('\n');
}
