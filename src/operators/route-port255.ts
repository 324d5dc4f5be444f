/**
 * routePort255(reliable): event groups → the same groups split by path (SPEC
 * §6, §7): events on port 255 take the reliable path (TCP), the others the
 * realtime path (UDP). Both parts keep the group's date D, as the original
 * stamps its main and its port-255 stream from one collection. To a peer with
 * no reliable path (`reliable` false: a version-1 LAN station, which takes no
 * TCP) every event stays realtime, in its one UDP stream, which it plays.
 *
 * ```
 * source:  ----x--------y-----z--|     x = { D 14, [a p0, r p255, b p1] }, y = { D 23, [c p0] }
 *                                      z = { D 29, [s p255] }
 * output:  ----(XR)-----Y-----S--|     X = realtime { D 14, [a, b] }, R = reliable { D 14, [r] }
 *                                      Y = realtime { D 23, [c] }, S = reliable { D 29, [s] }
 * ```
 * The realtime part leaves first; a path with no event gets no group. The
 * sinks take the path they serve: `filter((g) => g.path === 'reliable')`.
 *
 * Scheduler: none (synchronous).
 */
import { mergeMap, type OperatorFunction } from 'rxjs';
import { RELIABLE_PORT, type MidiEvent } from '../model/event.js';
import type { EventGroup, EventPath, RoutedGroup } from '../model/pipeline.js';

export const pathOf = (event: MidiEvent): EventPath =>
  event.port === RELIABLE_PORT ? 'reliable' : 'realtime';

export function routePort255(reliable = true): OperatorFunction<EventGroup, RoutedGroup> {
  if (!reliable)
    return mergeMap((group) => (group.events.length > 0 ? [{ ...group, path: 'realtime' as const }] : []));
  return mergeMap((group) =>
    (['realtime', 'reliable'] as const)
      .map((path): RoutedGroup => ({
        ...group,
        path,
        events: group.events.filter((e) => pathOf(e) === path),
      }))
      .filter((part) => part.events.length > 0),
  );
}
