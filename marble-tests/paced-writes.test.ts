/**
 * pacedWrites in virtual time: port 255 to an original, one packet per write,
 * `paceMs` apart. One frame is 1 ms; the sends start at frame 1, after the
 * expectation has subscribed to the (hot) writes.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { pacedWrites } from '../src/sources/paced-writes.js';

const packet = (name: string) => new TextEncoder().encode(name);
const nameOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('pacedWrites', () => {
  test('a burst leaves one packet per paceMs; a packet after a pause goes at once', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      const written = new Subject<string>();
      const paced = pacedWrites({
        write: (bytes) => (written.next(nameOf(bytes)), true),
        paceMs: 2,
        maxQueueBytes: 1024,
        scheduler,
        lost: () => assert.fail('nothing is lost'),
      });
      cold('-abc-------d').subscribe((name) => assert.ok(paced.send(packet(name))));
      expectObservable(written, '^ 12ms !').toBe('-a-b-c-----d');
    });
  });

  test('the queue is bounded: a packet that does not fit is refused, the others still go', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const answers: boolean[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const written = new Subject<string>();
      const paced = pacedWrites({
        write: (bytes) => (written.next(nameOf(bytes)), true),
        paceMs: 3,
        maxQueueBytes: 2,
        scheduler,
        lost: () => assert.fail('nothing is lost'),
      });
      cold('-(abcd)').subscribe((name) => answers.push(paced.send(packet(name))));
      expectObservable(written, '^ 10ms !').toBe('-a--b--c');
    });
    assert.deepEqual(answers, [true, true, true, false]);
  });

  test('flush writes what waits at once (before a TCPBye); stop drops it', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    scheduler.run(({ cold, expectObservable }) => {
      const written = new Subject<string>();
      const flushed = pacedWrites({
        write: (bytes) => (written.next(nameOf(bytes)), true),
        paceMs: 6,
        maxQueueBytes: 1024,
        scheduler,
        lost: () => assert.fail('nothing is lost'),
      });
      const stopped = pacedWrites({
        write: (bytes) => (written.next(nameOf(bytes).toUpperCase()), true),
        paceMs: 6,
        maxQueueBytes: 1024,
        scheduler,
        lost: () => assert.fail('nothing is lost'),
      });
      cold('-(abc)').subscribe((name) => {
        flushed.send(packet(name));
        stopped.send(packet(name));
      });
      cold('-----f').subscribe(() => {
        flushed.flush();
        stopped.stop();
      });
      expectObservable(written, '^ 20ms !').toBe('-(aA)(bc)');
    });
  });

  test('a waiting packet that the link refuses when its turn comes is reported lost', () => {
    const scheduler = new TestScheduler(assert.deepStrictEqual);
    const lost: string[] = [];
    scheduler.run(({ cold }) => {
      let open = true;
      const paced = pacedWrites({
        write: () => open,
        paceMs: 2,
        maxQueueBytes: 1024,
        scheduler,
        lost: (bytes) => lost.push(nameOf(bytes)),
      });
      cold('(abc)').subscribe((name) => paced.send(packet(name)));
      cold('-x').subscribe(() => (open = false));
    });
    assert.deepEqual(lost, ['b', 'c']);
  });
});
