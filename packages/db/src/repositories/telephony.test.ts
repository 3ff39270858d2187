import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProjectRules } from '@outdial/domain/projects';
import type { Database } from '../database.ts';
import { Repositories } from '../repositories.ts';
import { seedList, seedProject, stagedContacts, testDatabases } from '../testing.ts';

describe.each(testDatabases())('telephony storage on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let other: string;
  let projectId: string;

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Tel');
    other = await repos.users.createOrganisation('Other');
    projectId = await seedProject(repos, orgId, 'TEL', defaultProjectRules(), []);
    await seedList(repos, orgId, projectId, stagedContacts(4, '+86139'), new Date('2026-03-01T00:00:00Z'), 't.csv');
  });
  afterAll(async () => cleanup?.());

  const trunk = {
    name: 'Main',
    uri: 'sip:127.0.0.1:5090',
    transport: 'udp' as const,
    username: 'u',
    password: 'p',
    maxChannels: 10,
    callsPerSecond: 2.5,
  };

  it('keeps trunks per organisation, names unique regardless of case', async () => {
    const t = await repos.telephony.createTrunk(orgId, trunk);
    expect(t).toMatchObject({ name: 'Main', callsPerSecond: 2.5, password: 'p' });
    expect(await repos.telephony.createTrunk(orgId, { ...trunk, name: 'MAIN' })).toBeNull();
    expect(await repos.telephony.createTrunk(other, trunk)).not.toBeNull();
    expect((await repos.telephony.listTrunks(orgId)).map((x) => x.name)).toEqual(['Main']);
    expect(await repos.telephony.getTrunk(other, t!.id)).toBeUndefined();
    const b = await repos.telephony.createTrunk(orgId, { ...trunk, name: 'backup', username: null, password: null });
    expect(await repos.telephony.updateTrunk(orgId, b!.id, { name: 'main' }, new Date())).toBeNull();
    expect(await repos.telephony.updateTrunk(orgId, b!.id, { maxChannels: 3 }, new Date())).toMatchObject({
      maxChannels: 3,
    });
    expect(await repos.telephony.updateTrunk(other, b!.id, { maxChannels: 3 }, new Date())).toBeUndefined();
    expect(await repos.telephony.deleteTrunk(other, b!.id)).toBe(false);
    expect(await repos.telephony.deleteTrunk(orgId, b!.id)).toBe(true);
    expect((await repos.telephony.allTrunks()).length).toBe(2);
  });

  it('stores recordings with their expiry, AMD decision time, and caller-ID health with complaints', async () => {
    const contacts = await db.query<{ id: string; phone: string }>(
      `SELECT id, phone FROM contacts WHERE project_id = $1 ORDER BY phone`,
      [projectId],
    );
    const placedAt = new Date('2026-03-02T02:00:00Z');
    const ids = await repos.attempts.openMany(
      contacts.map((c, i) => ({
        orgId,
        projectId,
        campaignId: null,
        contactId: c.id,
        phone: c.phone,
        callerId: i < 3 ? '+861088880001' : '+861088880002',
        dialMode: 'progressive' as const,
        placedAt,
      })),
    );
    await repos.attempts.progressMany([{ id: ids[0]!, answeredAt: placedAt, amdResult: 'human' }]);
    await repos.telephony.setAmdMs(ids[0]!, 2300.4);
    const [a] = await db.query<{ amd: number }>(`SELECT amd_ms AS amd FROM call_attempts WHERE id = $1`, [ids[0]]);
    expect(a!.amd).toBe(2300);
    // The first number pressed 9 after the call: a complaint against its caller ID.
    const list = await repos.dnc.ensureList(orgId, projectId, 'default');
    await repos.dnc.addEntries(
      list,
      [{ phone: contacts[0]!.phone, reason: 'IVR key 9', source: 'ivr', expiresAt: null }],
      null,
    );
    const health = await repos.telephony.callerIdHealth(orgId, new Date('2026-03-01T00:00:00Z'), projectId);
    expect(health).toEqual([
      {
        callerId: '+861088880001',
        dials: 3,
        answered: 1,
        person: 0,
        abandoned: 0,
        complaints: 1,
        lastUsedAt: placedAt,
      },
      {
        callerId: '+861088880002',
        dials: 1,
        answered: 0,
        person: 0,
        abandoned: 0,
        complaints: 0,
        lastUsedAt: placedAt,
      },
    ]);
    expect(await repos.telephony.callerIdHealth(other, new Date(0), null)).toEqual([]);

    await repos.telephony.saveRecording({
      attemptId: ids[0]!,
      orgId,
      projectId,
      agentUserId: null,
      path: '/r/a.wav',
      durationMs: 4000,
      expiresAt: new Date('2026-06-01T00:00:00Z'),
    });
    await repos.telephony.saveRecording({
      attemptId: ids[1]!,
      orgId,
      projectId,
      agentUserId: null,
      path: '/r/b.wav',
      durationMs: 1000,
      expiresAt: new Date('2026-04-01T00:00:00Z'),
    });
    expect(await repos.telephony.getRecording(orgId, ids[0]!)).toMatchObject({ path: '/r/a.wav', durationMs: 4000 });
    expect(await repos.telephony.getRecording(other, ids[0]!)).toBeUndefined();
    const expired = await repos.telephony.expiredRecordings(new Date('2026-05-01T00:00:00Z'), 10);
    expect(expired.map((r) => r.attemptId)).toEqual([ids[1]]);
    await repos.telephony.deleteRecordings(expired.map((r) => r.attemptId));
    expect(await repos.telephony.getRecording(orgId, ids[1]!)).toBeUndefined();
  });
});
