import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../testing.ts';
import { FULL_LIST_RECHECK_MS, ListQuota } from './list-quota.ts';
import { MemoryDialerStore, contact } from './testing.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';

// 2026-03-02 23:30 UTC is already 07:30 on the 3rd in Shanghai.
const T0 = Date.parse('2026-03-02T23:30:00Z');

function setup(caps: Record<string, number>, zone = 'Asia/Shanghai') {
  const scheduler = new VirtualScheduler(T0);
  const store = new MemoryDialerStore();
  const log = new RecordingLogger();
  const pending: Promise<unknown>[] = [];
  let current = caps;
  const quota = new ListQuota({
    repo: store.repos.campaigns,
    campaignId: 'c1',
    caps: () => current,
    zone,
    now: () => scheduler.now(),
    background: (p, what, context) => {
      pending.push(p.catch((err: unknown) => log.error({ err, ...context }, what)));
    },
  });
  /** As the runner does each tick: the lists to leave out are read for the lease, then the leased contacts claimed. */
  const tick = (leased: ReturnType<typeof fromList>) => {
    quota.excluded(scheduler.now());
    return quota.claim(leased);
  };
  return {
    scheduler,
    store,
    log,
    quota,
    tick,
    setCaps: (c: Record<string, number>) => (current = c),
    settle: () => Promise.all(pending),
  };
}

const fromList = (list: string | null, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => contact(from + i, { importId: list }));

describe('ListQuota', () => {
  it('with no capped list claims nothing and touches no count', async () => {
    const { quota, store } = setup({});
    const leased = fromList('L1', 0, 5);
    expect(await quota.claim(leased)).toBe(leased);
    expect(store.quota.size).toBe(0);
    expect(quota.excluded(T0)).toEqual([]);
    quota.giveBack(leased); // nothing was claimed: nothing to give
    expect(store.quota.size).toBe(0);
  });

  it("keeps what a list's cap allows, releases the rest, and leaves the full list out of leases", async () => {
    const { quota, store, tick } = setup({ L1: 3 });
    const leased = [...fromList('L1', 0, 5), ...fromList('L2', 10, 2), ...fromList(null, 20, 1)];
    const kept = await tick(leased);
    // Three of L1 (its cap), and every contact of an uncapped list or of none.
    expect(kept.map((k) => k.id)).toEqual([
      'contact-0',
      'contact-1',
      'contact-2',
      'contact-10',
      'contact-11',
      'contact-20',
    ]);
    expect(store.released).toEqual(['contact-3', 'contact-4']);
    // The count is of the project's day (Shanghai), not UTC's.
    expect([...store.quota]).toEqual([['L1/2026-03-03', 3]]);
    expect(quota.excluded(T0)).toEqual(['L1']);
    expect(quota.held).toBe(3);
  });

  it('gives the dials of claimed contacts not dialed back, and a dialed one keeps its dial', async () => {
    const { quota, store, settle, tick } = setup({ L1: 3 });
    const kept = await tick(fromList('L1', 0, 4));
    expect(kept).toHaveLength(3);
    expect(quota.excluded(T0)).toEqual(['L1']);
    quota.used(kept[0]!.id); // dialed
    quota.giveBack(kept); // the other two were refused by the gate
    await settle();
    expect(store.quota.get('L1/2026-03-03')).toBe(1);
    expect(quota.held).toBe(0);
    // The list has room again: it is leased from at once, without waiting for the minute.
    expect(quota.excluded(T0)).toEqual([]);
    // Giving back twice gives nothing more.
    quota.giveBack(kept);
    await settle();
    expect(store.quota.get('L1/2026-03-03')).toBe(1);
  });

  it('looks at a full list again after a minute (other nodes give dials back) and on a new project day', async () => {
    const { quota, store, scheduler, tick } = setup({ L1: 1 });
    await tick(fromList('L1', 0, 2));
    expect(quota.excluded(scheduler.now())).toEqual(['L1']);
    scheduler.advance(FULL_LIST_RECHECK_MS - 1);
    expect(quota.excluded(scheduler.now())).toEqual(['L1']);
    scheduler.advance(1);
    expect(quota.excluded(scheduler.now())).toEqual([]);
    // Found full again, then the day turns in Shanghai (16:00 UTC): a fresh count.
    await tick(fromList('L1', 5, 1));
    expect(quota.excluded(scheduler.now())).toEqual(['L1']);
    const midnight = Date.parse('2026-03-03T16:00:00Z');
    scheduler.advance(midnight - scheduler.now());
    expect(quota.excluded(scheduler.now())).toEqual([]);
    expect(await tick(fromList('L1', 7, 1))).toHaveLength(1);
    expect(store.quota.get('L1/2026-03-04')).toBe(1);
  });

  it('a claim that fails gives back what it had claimed, and the error reaches the caller', async () => {
    const { quota, store, settle } = setup({ L1: 5, L2: 5 });
    const claim = store.repos.campaigns.claimListQuota;
    store.repos.campaigns.claimListQuota = (c, list, ...rest) =>
      list === 'L2' ? Promise.reject(new Error('connection reset')) : claim(c, list, ...rest);
    await expect(quota.claim([...fromList('L1', 0, 2), ...fromList('L2', 10, 2)])).rejects.toThrow('connection reset');
    await settle();
    expect(store.quota.get('L1/2026-03-03')).toBe(0);
    expect(quota.held).toBe(0);
  });

  it('a give-back that fails is logged with the list, the day and the dials', async () => {
    const { quota, store, settle, log } = setup({ L1: 5 });
    const kept = await quota.claim(fromList('L1', 0, 2));
    store.repos.campaigns.returnListQuota = () => Promise.reject(new Error('database is away'));
    quota.giveBack(kept);
    await settle();
    expect(log.at('error')).toMatchObject([
      { fields: { list: 'L1', day: '2026-03-03', dials: 2, err: { message: 'database is away' } } },
    ]);
  });

  it("reconciles today's counts for the capped lists only, and again when the caps change", async () => {
    const { quota, store, setCaps } = setup({ L1: 5, L2: 9 });
    await quota.reconcile();
    setCaps({});
    await quota.reconcile(); // no capped list: nothing to raise
    setCaps({ L3: 1 });
    await quota.reconcile();
    expect(store.reconciled).toEqual([
      { lists: ['L1', 'L2'], day: '2026-03-03' },
      { lists: ['L3'], day: '2026-03-03' },
    ]);
  });
});
