/**
 * Waiting for a client to be listed. A driver that was asleep knows no
 * remote stations until it has woken and heard them (about a second on a
 * LAN, SPEC §6), so a tool that comes while it has just woken gives a named
 * station a moment to appear before calling the name unknown.
 */
import { filter, firstValueFrom, map, timeout, type Observable } from 'rxjs';
import type { ClientJson, Push } from '../wire/local-protocol.js';

/** How long a tool waits for a station to appear after the driver woke. */
export const WAKE_PATIENCE_MS = 3000;

/**
 * What is left of that patience, from the driver's answer to `open` (how long
 * it has been awake): all of it when this open woke the driver, and some for
 * a tool that comes just after another one woke it (a dump, then a send).
 */
export function wakePatience(opened: Record<string, unknown>): number {
  const awakeMs = opened['awakeMs'];
  return typeof awakeMs === 'number' ? Math.max(0, WAKE_PATIENCE_MS - awakeMs) : 0;
}

export function designates(id: string, client: ClientJson): boolean {
  return client.name === id || (/^\d{1,9}$/.test(id) && client.ref === Number(id));
}

/** The client lists the driver pushes (one at once after `open`, then on each change). */
export function clientLists(pushes$: Observable<Push>): Observable<ClientJson[]> {
  return pushes$.pipe(
    filter((push) => push.push === 'clients'),
    map((push) => (push.push === 'clients' ? push.clients : [])),
  );
}

/** Whether a client that `id` designates is listed within `patienceMs` (counted after the first list). */
export async function clientAppears(
  lists$: Observable<ClientJson[]>,
  id: string,
  patienceMs: number,
): Promise<boolean> {
  const first = await firstValueFrom(lists$, { defaultValue: [] as ClientJson[] });
  if (first.some((c) => designates(id, c))) return true;
  if (patienceMs <= 0) return false;
  return firstValueFrom(
    lists$.pipe(
      filter((list) => list.some((c) => designates(id, c))),
      map(() => true),
      timeout({ first: patienceMs, with: () => [false] }),
    ),
    { defaultValue: false },
  );
}

/** Why `id` names nobody, truthfully: which stations were seen, or why none were. */
export function notFound(id: string, clients: readonly ClientJson[], wokeIt: boolean): string {
  const stations = clients.filter((c) => c.kind === 'remote').map((c) => c.name);
  if (stations.length > 0) return `no client named '${id}'; stations seen: ${stations.join(', ')}`;
  const since = wokeIt ? ` in the ${WAKE_PATIENCE_MS / 1000} s since this command woke the driver` : '';
  return `no client named '${id}', and no station seen${since} (same LAN and port -p on the others? are they awake?)`;
}
