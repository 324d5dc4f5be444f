/**
 * A delivery as `msinet dump` prints it for people, one line:
 * `1234.567 ms  hostA  keyOn C4 (60) vel 100 (chan 0, port 0)`: the driver's
 * clock to the µs (the JSON form keeps every digit). The status page's
 * monitor shows the same lines, so this file stays pure: it runs in the
 * browser too.
 */
import { parseEvent } from '../model/event-json.js';
import { describeEvent } from '../model/event-text.js';
import type { DeliveryPush } from './local-protocol.js';

/** The date is the time, shown once; an event that does not parse is shown as its JSON. */
export function deliveryText({ time, from, event }: Pick<DeliveryPush, 'time' | 'from' | 'event'>): string {
  const parsed = parseEvent({ ...event, date: undefined });
  return `${time.toFixed(3)} ms  ${from}  ${parsed.ok ? describeEvent(parsed.value) : JSON.stringify(event)}`;
}
