import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCampaignSettings } from '@outdial/domain/campaigns';
import type { Database } from '../database.ts';
import { Repositories } from '../repositories.ts';
import { seedList, seedProject, stagedContact, testDatabases } from '../testing.ts';
import type { StagedRow } from './imports.ts';

/** Contact n of the test lists: every other one tagged vip. */
const row = (n: number, extra: Partial<StagedRow> = {}): StagedRow =>
  stagedContact(n, `+86139${String(n).padStart(8, '0')}`, { tags: n % 2 === 0 ? ['vip'] : [], ...extra });

describe.each(testDatabases())('campaigns and contact leases on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  const T0 = new Date('2026-12-01T02:00:00Z');

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Org');
    projectId = await seedProject(repos, orgId, 'C1');
    await seedList(
      repos,
      orgId,
      projectId,
      Array.from({ length: 200 }, (_, i) => row(i)),
      T0,
    );
  });
  afterAll(async () => cleanup?.());

  it('moves status only from the expected one (compare-and-set)', async () => {
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'cas',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    expect(c.status).toBe('draft');
    const running = await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', T0);
    expect(running).toMatchObject({ status: 'running', startedAt: T0 });
    // A second writer that still believes the campaign is a draft loses.
    expect(await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', T0)).toBeUndefined();
    const done = await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', T0, 'stopped');
    expect(done).toMatchObject({ status: 'finished', finishReason: 'stopped', finishedAt: T0 });
    expect((await repos.campaigns.active(T0)).map((x) => x.id)).not.toContain(c.id);
  });

  it('leases each contact once until the lease expires, callbacks first, with tag filters', async () => {
    const a = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'lease-a',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const b = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'lease-b',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    // One contact has a callback due, one is waiting for a retry time still in the future.
    const all = (await repos.contacts.list(orgId, { projectId, limit: 500, offset: 0 })).items;
    const cb = all[150]!;
    const later = all[0]!;
    await db.query(`UPDATE contacts SET status = 'callback', callback_at = $2 WHERE id = $1`, [
      cb.id,
      new Date(T0.getTime() - 60_000),
    ]);
    await db.query(`UPDATE contacts SET next_attempt_at = $2 WHERE id = $1`, [
      later.id,
      new Date(T0.getTime() + 3_600_000),
    ]);

    const first = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: a.id,
      tags: [],
      limit: 10,
      now: T0,
      ttlMs: 60_000,
    });
    expect(first).toHaveLength(10);
    expect(first[0]!.id).toBe(cb.id);
    expect(first.map((c) => c.id)).not.toContain(later.id);

    const vip = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: b.id,
      tags: ['vip'],
      limit: 500,
      now: T0,
      ttlMs: 60_000,
    });
    const leasedByA = new Set(first.map((c) => c.id));
    expect(vip.every((c) => !leasedByA.has(c.id))).toBe(true);
    expect(vip.length).toBeGreaterThan(80);
    const vipPhones = new Set(all.filter((c) => c.tags.includes('vip')).map((c) => c.id));
    expect(vip.every((c) => vipPhones.has(c.id))).toBe(true);

    // Released contacts come back at once; the rest come back when the lease expires.
    await repos.campaigns.release(a.id, [first[1]!.id]);
    const again = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: a.id,
      tags: [],
      limit: 1,
      now: T0,
      ttlMs: 60_000,
    });
    expect(again[0]!.id).toBe(first[1]!.id);
    const afterExpiry = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: b.id,
      tags: [],
      limit: 500,
      now: new Date(T0.getTime() + 61_000),
      ttlMs: 60_000,
    });
    expect(afterExpiry.map((c) => c.id)).toEqual(expect.arrayContaining([...leasedByA]));
    await db.query('UPDATE contacts SET leased_until = NULL, lease_owner = NULL');
  });

  it('two loops leasing at the same time never take the same contact', async () => {
    const c1 = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'race-1',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const c2 = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'race-2',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const now = new Date(T0.getTime() + 10 * 60_000);
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        repos.campaigns.lease({
          orgId,
          projectId,
          campaignId: i % 2 ? c1.id : c2.id,
          tags: [],
          limit: 30,
          now,
          ttlMs: 60_000,
        }),
      ),
    );
    // A last sweep takes whatever the racers left: together they cover every due contact once.
    const sweep = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: c1.id,
      tags: [],
      limit: 1000,
      now,
      ttlMs: 60_000,
    });
    const ids = [...runs.flat(), ...sweep].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(199); // 200 contacts, one not due until later
    expect(runs.some((r) => r.length === 30)).toBe(true);
  });

  it('two loops racing for the head of the queue each get what they asked for', async () => {
    const a = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'fair-a',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const b = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'fair-b',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const now = new Date(T0.getTime() + 20 * 60_000);
    for (let round = 0; round < 5; round++) {
      const [x, y] = await Promise.all(
        [a, b].map((c) =>
          repos.campaigns.lease({ orgId, projectId, campaignId: c.id, tags: [], limit: 20, now, ttlMs: 60_000 }),
        ),
      );
      expect([x!.length, y!.length]).toEqual([20, 20]);
      expect(new Set([...x!, ...y!].map((k) => k.id)).size).toBe(40);
      await repos.campaigns.release(
        a.id,
        x!.map((k) => k.id),
      );
      await repos.campaigns.release(
        b.id,
        y!.map((k) => k.id),
      );
    }
  });

  it('leases only from the lists asked for, never from excluded ones, and says which list each contact is from', async () => {
    const second = await seedList(
      repos,
      orgId,
      projectId,
      Array.from({ length: 20 }, (_, i) => row(5000 + i, { custom: { tier: 3 } })),
      T0,
      'second.csv',
    );
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'lists',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const base = {
      orgId,
      projectId,
      campaignId: c.id,
      tags: [],
      now: new Date(T0.getTime() + 86_400_000),
      ttlMs: 1000,
    };
    const only = await repos.campaigns.lease({ ...base, limit: 50, lists: [second] });
    expect(only).toHaveLength(20);
    expect(only.every((k) => k.importId === second && k.custom['tier'] === 3)).toBe(true);
    await repos.campaigns.release(
      c.id,
      only.map((k) => k.id),
    );
    const without = await repos.campaigns.lease({ ...base, limit: 500, excludeLists: [second] });
    expect(without.length).toBeGreaterThan(0);
    expect(without.some((k) => k.importId === second)).toBe(false);
    await repos.campaigns.release(
      c.id,
      without.map((k) => k.id),
    );
  });

  it("claims from a list's daily cap atomically, counts the day's earlier dials, and takes back what was not used", async () => {
    const capped = await seedList(
      repos,
      orgId,
      projectId,
      Array.from({ length: 5 }, (_, i) => row(7000 + i)),
      T0,
      'capped.csv',
    );
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'quota',
      settings: defaultCampaignSettings(),
      createdBy: null,
    });
    const day = '2026-12-02';
    const dayStart = new Date('2026-12-01T16:00:00Z'); // midnight in Shanghai
    // Two dials already placed today from this list (before the day's row existed) count against the cap.
    const leased = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: c.id,
      tags: [],
      now: new Date('2026-12-02T02:00:00Z'),
      ttlMs: 1000,
      limit: 2,
      lists: [capped],
    });
    await repos.attempts.openMany(
      leased.map((k) => ({
        orgId,
        projectId,
        campaignId: c.id,
        contactId: k.id,
        phone: k.phone,
        callerId: null,
        dialMode: 'progressive',
        placedAt: new Date('2026-12-02T01:00:00Z'),
      })),
    );
    // Twenty claims of three at once (on PostgreSQL: over several connections) share the 7 left of a
    // cap of 9: some get 3, one gets what is left, the rest nothing.
    const granted = await Promise.all(
      Array.from({ length: 20 }, () => repos.campaigns.claimListQuota(c.id, capped, day, dayStart, 3, 9)),
    );
    expect(granted.reduce((a, b) => a + b, 0)).toBe(7);
    expect(granted.filter((g) => g > 0).sort()).toEqual([1, 3, 3]);
    expect(await repos.campaigns.claimListQuota(c.id, capped, day, dayStart, 3, 9)).toBe(0);
    // Three were not dialed after all: they go back, and a larger claim gets just those.
    await repos.campaigns.returnListQuota(c.id, capped, day, 3);
    expect(await repos.campaigns.claimListQuota(c.id, capped, day, dayStart, 5, 9)).toBe(3);
    expect(await repos.campaigns.listUsage(c.id, day)).toEqual(new Map([[capped, 9]]));
    // Dials placed without a claim (the list had no cap for a while) are counted when the cap returns.
    const more = await repos.campaigns.lease({
      orgId,
      projectId,
      campaignId: c.id,
      tags: [],
      now: new Date('2026-12-02T03:00:00Z'),
      ttlMs: 1000,
      limit: 3,
      lists: [capped],
    });
    await repos.attempts.openMany(
      more.map((k) => ({
        orgId,
        projectId,
        campaignId: c.id,
        contactId: k.id,
        phone: k.phone,
        callerId: null,
        dialMode: 'progressive',
        placedAt: new Date('2026-12-02T03:00:00Z'),
      })),
    );
    await repos.campaigns.reconcileListQuota(c.id, [capped], day, dayStart);
    expect((await repos.campaigns.listUsage(c.id, day)).get(capped)).toBe(9); // 9 claimed > 5 placed: kept
    await repos.campaigns.reconcileListQuota(c.id, [capped], '2026-12-03', new Date('2026-12-02T16:00:00Z'));
    await db.query(`UPDATE campaign_list_days SET used = 1 WHERE campaign_id = $1 AND day = '2026-12-02'`, [c.id]);
    await repos.campaigns.reconcileListQuota(c.id, [capped], day, dayStart);
    expect((await repos.campaigns.listUsage(c.id, day)).get(capped)).toBe(5); // raised to the 5 placed
    expect((await repos.campaigns.listUsage(c.id, '2026-12-03')).get(capped)).toBe(0);
    // A new day starts afresh; a lowered cap grants nothing beyond it.
    expect(
      await repos.campaigns.claimListQuota(c.id, capped, '2026-12-03', new Date('2026-12-02T16:00:00Z'), 4, 9),
    ).toBe(4); // the row made by the reconcile: 0 + 4
    expect(
      await repos.campaigns.claimListQuota(c.id, capped, '2026-12-03', new Date('2026-12-02T16:00:00Z'), 4, 2),
    ).toBe(0);
  });
});
