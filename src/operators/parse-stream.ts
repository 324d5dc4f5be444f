/**
 * parseStream(): the kept Midi packets of ONE stream, in serial order (what
 * trackSerials keeps) → each packet with its events, ready for planDelivery
 * (SPEC §5.3: events are a byte stream that may straddle packets).
 *
 * ```
 * source:  --a--b-----d--|     a: serial 1 dated 13: event x, then the first 4 bytes of y
 *                              b: serial 2, a continuation: the rest of y (its `offset`, 5),
 *                                 z, then the first 4 bytes of v
 *                              d: serial 4 (3 was lost: afterGap, missing 1): the rest of v
 *                                 (its `offset`, 3), then w
 * output:  --A--B-----D--|     A = { date: 13, events: [x] }   B = { date: 0, events: [y, z] }
 *                              D = { events: [w], afterGap, releasesNotes,
 *                                    rejected: ['event cut by a gap'] }: v's half is dropped
 * ```
 * After a gap or a restart the parser drops the half event it holds (counted
 * in `rejected`) and resumes at the packet's `offset`. A packet
 * `releasesNotes` when packets were missing before it or its sender
 * restarted; one that starts a stream mid-way lost nothing. Event dates are
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
