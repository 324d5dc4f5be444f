// DeadlineQueue (src/sources/deadline-queue.ts), the precise scheduler's heap,
// against a model: a plain array sorted by (deadline, order) on every step.
// Any sequence of adds, re-adds (a rescheduled action), removes and pops must
// leave both with the same items in the same order, the compaction of
// cancelled entries included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DeadlineQueue, type Queueable } from '../../src/sources/deadline-queue.js';
import { fuzzParameters } from '../harness/fuzz.js';

interface Item extends Queueable {
  id: number;
}

type Op =
  | { kind: 'add'; id: number; deadline: number }
  | { kind: 'remove'; id: number }
  | { kind: 'pop' }
  | { kind: 'peek' };

const ITEMS = 40;
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      id: fc.nat(ITEMS - 1),
      deadline: fc.integer({ min: 0, max: 20 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), id: fc.nat(ITEMS - 1) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'pop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'peek' as const }) },
);

test('any sequence of adds, re-adds, removes and pops: the same order as a sorted array', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3_000, size: 'max' }), (ops) => {
      const queue = new DeadlineQueue<Item>();
      const items: Item[] = Array.from({ length: ITEMS }, (_, id) => ({
        id,
        deadline: 0,
        order: 0,
        queued: false,
      }));
      let model: Item[] = [];
      let order = 0;
      const sortModel = () => model.sort((a, b) => a.deadline - b.deadline || a.order - b.order);
      for (const step of ops) {
        if (step.kind === 'add') {
          const item = items[step.id] as Item;
          // As the scheduler reschedules: out, then in again under a new order.
          queue.remove(item);
          model = model.filter((m) => m !== item);
          item.deadline = step.deadline;
          item.order = order++;
          queue.add(item);
          model.push(item);
          sortModel();
        } else if (step.kind === 'remove') {
          const item = items[step.id] as Item;
          queue.remove(item);
          model = model.filter((m) => m !== item);
        } else if (step.kind === 'pop') {
          assert.equal(queue.pop(), model.shift());
        } else {
          assert.equal(queue.peek(), model[0]);
        }
        assert.equal(queue.size, model.length);
        for (const item of items) assert.equal(item.queued, model.includes(item), `item ${item.id} queued`);
      }
      const rest: Item[] = [];
      for (let item = queue.pop(); item !== undefined; item = queue.pop()) rest.push(item);
      assert.deepEqual(
        rest.map((i) => i.id),
        model.map((i) => i.id),
      );
    }),
    fuzzParameters(300),
  );
});

test('cancelled entries do not pile up: 100,000 added and removed leave the heap small', () => {
  const queue = new DeadlineQueue<Item>();
  const keeper: Item = { id: -1, deadline: 1, order: 0, queued: false };
  queue.add(keeper);
  for (let i = 0; i < 100_000; i++) {
    const item: Item = { id: i, deadline: 1_000 + i, order: i + 1, queued: false };
    queue.add(item);
    queue.remove(item);
  }
  assert.equal(queue.size, 1);
  // The heap itself is private: its length is what memory it holds.
  const held = (queue as unknown as { heap: unknown[] }).heap.length;
  assert.ok(held <= 2 * 64 + 1, `${held} entries held for 1 item queued`);
  assert.equal(queue.pop(), keeper);
});
