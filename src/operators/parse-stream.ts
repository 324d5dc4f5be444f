/**
 * parseStream(): the kept Midi packets of ONE stream, in serial order (what
 * trackSerials keeps) → each packet with its events, ready for planDelivery
 * (SPEC §5.3: events are a byte stream that may straddle packets).
 *
 * ```
 * source:  --a--b-----d--|     a: serial 1, events x and the first half of y
 *                              b: serial 2, the rest of y (its `offset`), then z
 *                              d: serial 4, after a gap (afterGap): resumes at its offset
 * output:  --A--B-----D--|     A = { events: [x] }   B = { events: [y, z] }
 *                              D = { events: […], afterGap, releasesNotes }
 * ```
 * After a gap or a restart the parser drops the half event it holds (counted
 * in `rejected`) and resumes at the packet's `offset`. Event dates are
 * relative to the packet's date − G, to the sub-ms with fine dates (P, the
 * packet's `date`, then carries its fraction too).
 *
 * Scheduler: none (a pure fold over the stream parser, `scan`).
 */
import { map, scan, type OperatorFunction } from 'rxjs';
import type { InboundPacket, SerialVerdict } from '../model/pipeline.js';
import { feedPacket, initialStreamParser, type StreamParserState } from '../wire/stream-parser.js';
import type { RemotePacket } from './remote-table.js';

/** A packet's events, with why any of them were dropped. */
export interface ParsedPacket extends InboundPacket {
  /** Reasons, one per event dropped (counter keys for the log). */
  rejected: readonly string[];
}

interface ParseState {
  parser: StreamParserState;
  parsed: ParsedPacket | undefined;
}

/** One kept packet through the stream parser: the pure step behind `parseStream`. */
export function parseStep(parser: StreamParserState, verdict: SerialVerdict<RemotePacket>): ParseState {
  const { packet, at, offset } = verdict.packet;
  const restartsParser = verdict.afterGap || verdict.restarted;
  const step = feedPacket(parser, packet, restartsParser);
  return {
    parser: step.state,
    parsed: {
      date: packet.date === 0 ? 0 : packet.date + (packet.fine?.date ?? 0),
      arrival: at,
      offset,
      afterGap: verdict.afterGap,
      releasesNotes: verdict.missing > 0 || verdict.restarted,
      events: step.events,
      rejected: step.rejected,
    },
  };
}

export function parseStream(): OperatorFunction<SerialVerdict<RemotePacket>, ParsedPacket> {
  return (verdicts) =>
    verdicts.pipe(
      scan((state: ParseState, verdict) => parseStep(state.parser, verdict), {
        parser: initialStreamParser(),
        parsed: undefined,
      }),
      map((state) => state.parsed as ParsedPacket),
    );
}
