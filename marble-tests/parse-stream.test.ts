/**
 * parseStream() in virtual time. The rule under test (SPEC §5.3): the event
 * bytes of a stream's packets are one byte stream, in which an event may
 * straddle packets; after a gap or a restart the parser drops the half event
 * it holds (counted) and resumes at the packet's `offset`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SerialVerdict } from '../src/model/pipeline.js';
import { parseStep, parseStream, type ParsedPacket } from '../src/operators/parse-stream.js';
import type { RemotePacket } from '../src/operators/remote-table.js';
import { initialStreamParser } from '../src/wire/stream-parser.js';
import { packetize } from '../src/wire/packetizer.js';
import { at, eventBytes, keyOn, kept, midiPacket, remotePacket } from './fixtures.js';

const x = keyOn(60);
const y = keyOn(62);
const z = keyOn(64);
const v = keyOn(65);
const w = keyOn(67);
/** 9 bytes each: x [0,9)  y [9,18)  z [18,27)  v [27,36)  w [36,45), relative dates 0 … 4. */
const stream = eventBytes([x, 0], [y, 1], [z, 2], [v, 3], [w, 4]);
/** x, then the first 4 bytes of y. */
const first = midiPacket(1, 13, stream.subarray(0, 13));
/** A continuation: the last 5 bytes of y (its offset), z, the first 4 bytes of v. */
const second = midiPacket(2, 0, stream.subarray(13, 31), 5);
/** Serial 3 would carry bytes [31, 33); it is lost. The last 3 bytes of v (its offset), then w. */
const fourth = midiPacket(4, 0, stream.subarray(33), 3);

const parsed = (
  arrival: number,
  date: number,
  events: ParsedPacket['events'],
  extra: Partial<ParsedPacket> = {},
): ParsedPacket => ({
  date,
  arrival,
  offset: 0,
  afterGap: false,
  releasesNotes: false,
  events,
  rejected: [],
  ...extra,
});

describe('parseStream', () => {
  test('an event straddling two packets is joined; after a gap the half event is dropped and parsing resumes at offset', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const verdicts = {
        a: kept(remotePacket(first, 2)),
        b: kept(remotePacket(second, 5)),
        d: kept(remotePacket(fourth, 11), { afterGap: true, missing: 1 }),
      };
      const source = hot('  --a--b-----d--|', verdicts);
      const expected = '    --A--B-----D--|';
      expectObservable(source.pipe(parseStream())).toBe(expected, {
        A: parsed(2, 13, [at(x, 0)]),
        B: parsed(5, 0, [at(y, 1), at(z, 2)]),
        D: parsed(11, 0, [at(w, 4)], {
          afterGap: true,
          releasesNotes: true,
          rejected: ['event cut by a gap'],
        }),
      });
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  test('a restart releases notes and drops the half event too, then reads its packet from offset', () => {
    const restart = midiPacket(1, 5, eventBytes([w, 0]));
    let parser = initialStreamParser();
    parser = parseStep(parser, kept(remotePacket(first, 2))).parser;
    const step = parseStep(parser, kept(remotePacket(restart, 9), { restarted: true }));
    assert.deepEqual(
      step.parsed,
      parsed(9, 5, [at(w, 0)], { releasesNotes: true, rejected: ['event cut by a gap'] }),
    );
  });

  test('a stream first seen mid-way resumes at offset but releases nothing: no packet of it was lost', () => {
    const step = parseStep(initialStreamParser(), kept(remotePacket(fourth, 11), { afterGap: true }));
    assert.deepEqual(step.parsed, parsed(11, 0, [at(w, 4)], { afterGap: true }));
  });

  test('a fine-dated packet: its date carries its fraction, and event dates count from that exact date', () => {
    // An event sent at 16.75 in a group dated 13.25 with G = 10: on the wire date 13 and rel 4 (3.75 rounded).
    const [fine] = packetize([at(x, 3.75)], { firstSerial: 1, date: 13.25, maxEventBytes: 100, fine: true });
    assert.ok(fine !== undefined);
    const step = parseStep(initialStreamParser(), kept(remotePacket(fine, 14, { offset: -2 })));
    // 13.25 + 3.5 = 13 + 3.75: the same moment, counted from the exact group date.
    assert.deepEqual(step.parsed, parsed(14, 13.25, [at(x, 3.5)], { offset: -2 }));
  });

  test('empty: completes', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<SerialVerdict<RemotePacket>>('|').pipe(parseStream())).toBe('|');
    });
  });

  test('never: emits nothing', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ cold, expectObservable }) => {
      expectObservable(cold<SerialVerdict<RemotePacket>>('-').pipe(parseStream())).toBe('-');
    });
  });

  test('error: forwarded, after the packets before it', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const source = hot('  -a-#', { a: kept(remotePacket(first, 1)) });
      expectObservable(source.pipe(parseStream())).toBe('-A-#', { A: parsed(1, 13, [at(x, 0)]) });
    });
  });

  test('early unsubscribe: the source is released', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a--b--|', { a: kept(remotePacket(first, 1)), b: kept(remotePacket(second, 4)) });
      const unsub = '       ^--!';
      expectObservable(source.pipe(parseStream()), unsub).toBe('-A-', { A: parsed(1, 13, [at(x, 0)]) });
      expectSubscriptions(source.subscriptions).toBe(unsub);
    });
  });

  test('reentrancy: a packet sent in while one is delivered is parsed after it, finishing its half event', () => {
    new TestScheduler(assert.deepStrictEqual).run(({ hot, expectObservable }) => {
      const feedback = new Subject<SerialVerdict<RemotePacket>>();
      const seen = new Subject<ParsedPacket>();
      merge(hot('  -a--', { a: kept(remotePacket(first, 1)) }), feedback)
        .pipe(parseStream())
        .subscribe((packet) => {
          seen.next(packet);
          if (packet.date === 13) feedback.next(kept(remotePacket(second, 1)));
        });
      expectObservable(seen).toBe('-(AB)', {
        A: parsed(1, 13, [at(x, 0)]),
        B: parsed(1, 0, [at(y, 1), at(z, 2)]),
      });
    });
  });
});
