import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  it('writes a lone item at once, and batches what arrives while a write is in flight', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = () => new Promise<void>((r) => (release = r));
    let blocking = true;
    const g = new GroupCommit<number, number>(async (xs) => {
      batches.push(xs);
      if (blocking) await gate();
      return xs.map((x) => x * 10);
    });
    const first = g.submit(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(batches).toEqual([[1]]);
    const more = [2, 3, 4].map((x) => g.submit(x));
    expect(g.waiting).toBe(3);
    blocking = false;
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(more)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails the callers of a failed batch only, and keeps going', async () => {
    const g = new GroupCommit<number, number>(async (xs) => {
      if (xs.includes(13)) throw new Error('unlucky');
      return xs;
    }, 1);
    const results = await Promise.allSettled([g.submit(1), g.submit(13), g.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('every caller gets its own result, whatever the interleaving and batch size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), async (xs, max) => {
        const seen: number[] = [];
        const g = new GroupCommit<number, string>(async (items) => {
          expect(items.length).toBeLessThanOrEqual(max);
          seen.push(...items);
          await new Promise((r) => setTimeout(r, 0));
          return items.map((i) => `r${i}`);
        }, max);
        const out = await Promise.all(xs.map((x) => g.submit(x)));
        return out.every((o, i) => o === `r${xs[i]}`) && seen.length === xs.length;
      }),
      { numRuns: 50 },
    );
  });
});
