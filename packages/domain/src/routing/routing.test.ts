import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoutingPool, type RoutingAgent } from './index.ts';

const a = (id: string, skills: Record<string, number>): RoutingAgent => ({ id, skills });

describe('RoutingPool', () => {
  it('gives the call to the longest-idle agent holding every required skill', () => {
    const pool = new RoutingPool();
    pool.setReady(a('x', { insurance: 5 }), 1000);
    pool.setReady(a('y', { insurance: 3, vip: 9 }), 2000);
    pool.setReady(a('z', { sales: 9 }), 0);
    expect(pool.pick({ skills: ['insurance'] }, 5000)).toMatchObject({ agentId: 'x', idleMs: 4000, considered: 2 });
    expect(pool.pick({ skills: ['insurance', 'vip'] }, 5000)).toMatchObject({ agentId: 'y' });
    expect(pool.pick({ skills: [] }, 5000)).toMatchObject({ agentId: 'z' });
    expect(pool.pick({ skills: ['french'] }, 5000)).toBeNull();
  });

  it('respects a minimum level and forgets agents that are busy', () => {
    const pool = new RoutingPool();
    pool.setReady(a('x', { vip: 5 }), 0);
    pool.setReady(a('y', { vip: 9 }), 10);
    expect(pool.pick({ skills: ['vip'], minLevel: 8 }, 100)!.agentId).toBe('y');
    pool.setBusy('y');
    expect(pool.pick({ skills: ['vip'], minLevel: 8 }, 100)).toBeNull();
    expect(pool.readyCount).toBe(1);
  });

  it('the score strategy trades level against idle time', () => {
    const pool = new RoutingPool({ kind: 'score', levelWeight: 10, idleWeight: 1, tierWeight: 5 });
    pool.setReady(a('novice', { s: 2 }), 0); // idle 60 s
    pool.setReady(a('expert', { s: 9 }), 50_000); // idle 10 s
    // plain call: novice 20 + 60 = 80, expert 90 + 10 = 100
    expect(pool.pick({ skills: ['s'] }, 60_000)!.agentId).toBe('expert');
    const slow = new RoutingPool({ kind: 'score', levelWeight: 1, idleWeight: 1, tierWeight: 0 });
    slow.setReady(a('novice', { s: 2 }), 0);
    slow.setReady(a('expert', { s: 9 }), 50_000);
    expect(slow.pick({ skills: ['s'] }, 60_000)!.agentId).toBe('novice');
  });

  it("a campaign's own strategy overrides the pool's, and a top-tier customer goes to the expert", () => {
    const pool = new RoutingPool(); // longest idle for everyone else
    pool.setReady(a('novice', { s: 2 }), 0); // idle 60 s
    pool.setReady(a('expert', { s: 9 }), 50_000); // idle 10 s
    const byValue = { kind: 'score' as const, levelWeight: 1, idleWeight: 1, tierWeight: 20 };
    expect(pool.pick({ skills: ['s'] }, 60_000)!.agentId).toBe('novice');
    // tier 0: novice 2 + 60 = 62, expert 9 + 10 = 19 → novice; tier 3: novice 62 + 120, expert 19 + 540 → expert
    expect(pool.pick({ skills: ['s'], valueTier: 0 }, 60_000, byValue)!.agentId).toBe('novice');
    expect(pool.pick({ skills: ['s'], valueTier: 3 }, 60_000, byValue)!.agentId).toBe('expert');
  });

  it('never gives a call to an agent of another organisation', () => {
    const pool = new RoutingPool();
    pool.setReady({ id: 'b1', skills: {}, orgId: 'org-b' }, 0); // idle longest, but not ours
    pool.setReady({ id: 'a1', skills: {}, orgId: 'org-a' }, 1000);
    expect(pool.pick({ skills: [], orgId: 'org-a' }, 5000)!.agentId).toBe('a1');
    pool.setBusy('a1');
    expect(pool.pick({ skills: [], orgId: 'org-a' }, 5000)).toBeNull();
  });

  it('never picks an agent who lacks a skill, is below the level, or is not ready (property)', () => {
    const skills = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 0, max: 30 }),
            skills: fc.dictionary(fc.constantFrom(...skills), fc.integer({ min: 1, max: 10 })),
            at: fc.integer({ min: 0, max: 1000 }),
            ready: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        fc.subarray(skills),
        fc.integer({ min: 1, max: 10 }),
        (events, need, minLevel) => {
          const pool = new RoutingPool();
          const state = new Map<string, { skills: Record<string, number>; at: number } | null>();
          for (const e of events) {
            const id = `g${e.id}`;
            if (e.ready) {
              pool.setReady({ id, skills: e.skills }, e.at);
              state.set(id, { skills: e.skills, at: e.at });
            } else {
              pool.setBusy(id);
              state.set(id, null);
            }
          }
          const d = pool.pick({ skills: need, minLevel }, 2000);
          const eligible = [...state.entries()].filter(
            ([, s]) => s && need.every((k) => (s.skills[k] ?? 0) >= minLevel),
          );
          if (eligible.length === 0) return d === null;
          if (!d) return false;
          const chosen = state.get(d.agentId);
          const longest = Math.min(...eligible.map(([, s]) => s!.at));
          return (
            chosen !== null &&
            chosen !== undefined &&
            need.every((k) => (chosen.skills[k] ?? 0) >= minLevel) &&
            chosen.at === longest
          );
        },
      ),
    );
  });
});
