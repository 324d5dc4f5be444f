/**
 * What `msinet` prints for people (the `--json` forms are printed as they come).
 */
import type { Connection } from '../model/registry.js';
import type { ClientJson } from '../wire/local-protocol.js';

/** Why a list shows no station, when it shows none, in words a person can act on. */
export function noStationsNote(status: Record<string, unknown>): string | undefined {
  if (status['awake'] === false) {
    return (
      'the driver sleeps: no local client is open, so it neither hears nor is heard by other stations.\n' +
      '`msinet dump` or `msinet send` wakes it; stations then appear within about a second.'
    );
  }
  const remotes = status['remotes'];
  const count = Array.isArray(remotes) ? remotes.length : remotes;
  return count === 0 ? 'no station seen (same LAN and port `-p` on the others? are they awake?)' : undefined;
}

/** One line per client (ref, kind, name, address), then the connections by name, then why no station, if so. */
export function formatClients(
  clients: readonly ClientJson[],
  connections: readonly Connection[],
  status: Record<string, unknown> = {},
): string {
  const width = Math.max(4, ...clients.map((c) => c.name.length));
  const lines = clients.map((c) =>
    [String(c.ref).padStart(3), c.kind.padEnd(6), c.name.padEnd(width), c.address ?? ''].join('  ').trimEnd(),
  );
  const nameOf = (ref: number): string => clients.find((c) => c.ref === ref)?.name ?? `#${ref}`;
  if (connections.length > 0) {
    lines.push('connections:');
    for (const { src, dst } of connections) lines.push(`  ${nameOf(src)} -> ${nameOf(dst)}`);
  }
  const note = clients.some((c) => c.kind === 'remote') ? undefined : noStationsNote(status);
  if (note !== undefined) lines.push(note);
  return lines.join('\n');
}

const ms = (value: unknown) => (typeof value === 'number' ? `${Number(value.toFixed(2))} ms` : '?');

/** A station's statistics on one line (SPEC §4.4). */
function statsLine(stats: Record<string, unknown>): string {
  const n = (key: string) => String(stats[key] ?? 0);
  return (
    `offset ${ms(stats['offset'])}, transit ${ms(stats['transit'])} (max ${ms(stats['maxTransit'])}), ` +
    `late ${n('late')}, missing ${n('missing')}, duplicates ${n('duplicates')}, ` +
    `in ${n('eventsIn')} events/${n('packetsIn')} packets, out ${n('eventsOut')}/${n('packetsOut')}`
  );
}

/** The driver's state in a few readable lines: awake or not, mode and timing, stations, problems. */
export function formatStatus(status: Record<string, unknown>): string {
  const awake = status['awake'] === true;
  const lines: string[] = [];
  const mode = typeof status['mode'] === 'string' ? status['mode'].toUpperCase() : undefined;
  const timing =
    status['maxLatency'] === undefined
      ? ''
      : `, -lat ${String(status['maxLatency'])} ms, -g ${String(status['grouping'])} ms`;
  lines.push(
    `${awake ? 'awake' : 'asleep'}${mode ? `, ${mode} mode` : ''}${status['port'] ? `, port ${String(status['port'])}` : ''}${timing}`,
  );
  if (status['locals'] !== undefined) lines.push(`local clients: ${String(status['locals'])}`);
  const remotes = status['remotes'];
  if (Array.isArray(remotes)) {
    lines.push(`stations: ${remotes.length}`);
    for (const remote of remotes as Array<Record<string, unknown>>) {
      const stats = remote['stats'] as Record<string, unknown> | undefined;
      lines.push(
        `  ${String(remote['name'])} ${String(remote['address'] ?? '')}: ${stats ? statsLine(stats) : 'no statistics yet'}`,
      );
    }
  } else if (remotes !== undefined) lines.push(`stations: ${String(remotes)}`);
  const problems = Object.entries((status['problems'] ?? {}) as Record<string, number>);
  if (problems.length > 0) {
    lines.push(`bad input counted: ${problems.reduce((sum, [, n]) => sum + n, 0)}`);
    for (const [kind, count] of problems) lines.push(`  ${kind}: ${count}`);
  }
  const note = noStationsNote(status);
  if (note !== undefined) lines.push(note);
  return lines.join('\n');
}
