/**
 * What a MIDI input port receives, played into a local client (SPEC §8): the
 * bytes become events through the model's parser (running status, SysEx
 * across chunks, realtime bytes anywhere) and are sent now. What the parser
 * drops is counted and logged, rate-limited. Runs while subscribed; when it
 * stops (the device went, the client closed), a SysEx begun and not ended is
 * dropped and counted: the half of a message is not a message.
 */
import { Observable } from 'rxjs';
import { initialMidiParser, parseMidiChunk } from '../model/midi-bytes.js';
import type { LocalClient } from '../sinks/hub.js';
import type { ProblemCounter } from '../sinks/rate-limited-log.js';
import type { MidiInputPort } from './midi-system.js';

/** MidiShare port of the events a MIDI input makes. */
const EVENT_PORT = 0;

export function playMidiInto(
  port: MidiInputPort,
  client: Pick<LocalClient, 'send'>,
  problems: ProblemCounter,
): Observable<never> {
  return new Observable<never>(() => {
    const kind = `MIDI input ${port.name}`;
    let parser = initialMidiParser();
    const reading = port.bytes$.subscribe((chunk) => {
      const parsed = parseMidiChunk(parser, chunk, { port: EVENT_PORT });
      parser = parsed.state;
      for (const event of parsed.events) {
        const sent = client.send(event);
        if (!sent.ok) problems(kind, sent.reason);
      }
      for (const why of parsed.dropped) problems(kind, why);
    });
    return () => {
      reading.unsubscribe();
      if (parser.sysEx !== undefined) {
        problems(
          kind,
          `SysEx of ${parser.sysEx.length} data bytes dropped: the port closed in the middle of it`,
        );
      }
    };
  });
}
