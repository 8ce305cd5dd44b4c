// TurnBatch (src/store/turn-batch.ts): the calls of one event-loop turn reach the store as one batch, and
// every caller gets its own answer. The PostgreSQL store's contract tests run it against a real database.
import { describe, expect, test } from 'bun:test';
import { TurnBatch } from '../src/store/turn-batch.ts';

describe('TurnBatch', () => {
  test('the calls of one turn form one batch, in order; each caller gets its own answer; a later turn gets another', async () => {
    const batches: number[][] = [];
    const b = new TurnBatch<number, number>(async (xs) => {
      batches.push(xs);
      return xs.map((x) => x * 10);
    });
    expect(await Promise.all([b.call(1), b.call(2), b.call(3)])).toEqual([10, 20, 30]);
    expect(await b.call(4)).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  test('an Error answered for one input fails that caller only', async () => {
    const b = new TurnBatch<number, number>(async (xs) => xs.map((x) => (x === 2 ? new Error('two refused') : x)));
    const out = await Promise.allSettled([b.call(1), b.call(2), b.call(3)]);
    expect(out.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([1, 'two refused', 3]);
  });

  test('when the batch fails, every caller of it gets the error, and the next turn starts afresh', async () => {
    let fail = true;
    const b = new TurnBatch<number, number>(async (xs) => {
      if (fail) throw new Error('database unavailable');
      return xs;
    });
    const out = await Promise.allSettled([b.call(1), b.call(2)]);
    expect(out.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await b.call(3)).toBe(3);
  });

  test('a turn with more calls than `max` is sent in batches of at most `max`', async () => {
    const sizes: number[] = [];
    const b = new TurnBatch<number, number>(async (xs) => {
      sizes.push(xs.length);
      return xs;
    }, 256);
    const xs = Array.from({ length: 600 }, (_, i) => i);
    expect(await Promise.all(xs.map((x) => b.call(x)))).toEqual(xs);
    expect(sizes).toEqual([256, 256, 88]);
  });
});
