/**
 * mapChannel(mapping): a user operator that moves channel messages to other
 * MIDI channels, or drops them.
 *
 * ```
 * mapChannel({ 0: 9, 2: null })
 * source:  --a--b--c--d--|     a: keyOn chan 0   b: keyOn chan 1   c: progChange chan 2   d: clock
 * output:  --A--b-----d--|     A: keyOn chan 9   b unchanged       c dropped (null)       d unchanged
 * ```
 * `mapping` is a table (channel → new channel, or null to drop; channels not
 * listed pass unchanged) or a function of the channel and the event. Only
 * channel messages are mapped (notes, key and control events, program change,
 * pressure, pitch wheel, 14-bit and parameter controls); system, SysEx and
 * meta events have no channel to move and pass as they are. A result that is
 * not a channel 0–15 drops the event: an operator never throws into the
 * shared pipeline.
 *
 * Scheduler: none (synchronous).
 */
import { filter, map, pipe, type MonoTypeOperatorFunction } from 'rxjs';
import { isChannelMessage, type MidiEvent } from '../model/event.js';

export type ChannelMapping =
  Readonly<Partial<Record<number, number | null>>> | ((chan: number, event: MidiEvent) => number | null);

export { isChannelMessage };

const isChannel = (chan: number | null): chan is number =>
  chan !== null && Number.isInteger(chan) && chan >= 0 && chan <= 15;

export function mapChannel(mapping: ChannelMapping): MonoTypeOperatorFunction<MidiEvent> {
  const channelFor =
    typeof mapping === 'function'
      ? mapping
      : (chan: number) => (chan in mapping ? (mapping[chan] ?? null) : chan);
  return pipe(
    map((event): MidiEvent | undefined => {
      if (!isChannelMessage(event)) return event;
      const chan = channelFor(event.chan, event);
      return isChannel(chan) ? { ...event, chan } : undefined;
    }),
    filter((event): event is MidiEvent => event !== undefined),
  );
}
