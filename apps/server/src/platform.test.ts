import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { openPlatform } from './platform.ts';
import { DEMO_PROJECT, seedDemo } from './demo.ts';

describe('the embedded platform', () => {
  it('keeps everything across a restart, seeds the demo once, and refuses a second process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-restart-'));
    const config = loadConfig({ OUTDIAL_DATA_DIR: dir, OUTDIAL_DEMO_PASSWORD: 'restart-pass-1' }, dir);
    const first = await openPlatform(config);
    expect((await seedDemo(first)).seeded).toBe(true);
    await first.close();

    const second = await openPlatform(config);
    try {
      expect((await seedDemo(second)).seeded).toBe(false);
      const { token } = await second.services.auth.login({ username: 'agent07', password: 'restart-pass-1' });
      const agent = await second.services.auth.authenticate(token);
      const project = await second.repos.projects.getByCode(agent.orgId, DEMO_PROJECT);
      expect(project!.fields.map((f) => f.key)).toEqual([
        'policy_no',
        'premium',
        'expiry_date',
        'product',
        'has_claim',
      ]);
      const contacts = await second.services.contacts.list(agent, DEMO_PROJECT, { limit: 100, offset: 0 });
      expect(contacts.total).toBe(10); // an agent's own list; the rest waits in the insurance queue

      // A live pid in the lock file means another process owns the folder.
      writeFileSync(join(dir, 'outdial.pid'), String(process.ppid));
      await expect(openPlatform(config)).rejects.toThrow(/another Outdial process/);
      writeFileSync(join(dir, 'outdial.pid'), String(process.pid));
    } finally {
      await second.close();
    }
  });

  it('fails imports and closes call attempts that a crash interrupted, at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-crash-'));
    const config = loadConfig({ OUTDIAL_DATA_DIR: dir, OUTDIAL_DEMO_PASSWORD: 'restart-pass-1' }, dir);
    const p = await openPlatform(config);
    await seedDemo(p);
    const org = (await p.repos.users.firstOrganisation())!;
    const project = (await p.repos.projects.getByCode(org.id, DEMO_PROJECT))!;
    const imp = await p.repos.imports.create({
      orgId: org.id,
      projectId: project.id,
      filename: 'cut.csv',
      totalBytes: 10,
      createdBy: null,
    });
    await p.repos.imports.writer(org.id, project.id, imp.id, new Date()).write([
      {
        rowNumber: 2,
        outcome: 'accepted',
        code: null,
        message: null,
        phone: '+8613311112222',
        phones: ['+8613311112222'],
        name: 'x',
        timezone: null,
        region: null,
        tags: [],
        externalId: null,
        custom: {},
        raw: null,
      },
    ]);
    // A call in flight when the process dies: its attempt was written before the dial.
    const [contact] = (await p.repos.contacts.list(org.id, { projectId: project.id, limit: 1, offset: 0 })).items;
    const attemptId = await p.services.attempts.placed({
      orgId: org.id,
      projectId: project.id,
      campaignId: null,
      contactId: contact!.id,
      phone: contact!.phone,
      callerId: null,
      dialMode: 'predictive',
      placedAt: new Date(),
    });
    await p.close(); // as if the process died here

    const again = await openPlatform(config);
    try {
      const after = await again.repos.imports.get(org.id, imp.id);
      expect(after).toMatchObject({ status: 'failed', imported: 0, error: { code: 'import_interrupted' } });
      expect(
        (await again.repos.contacts.list(org.id, { phoneContains: '13311112222', limit: 5, offset: 0 })).total,
      ).toBe(0);
      // …and no attempt stays open forever: it is closed as failed and the contact rescheduled.
      expect(await again.repos.attempts.get(attemptId)).toMatchObject({ outcome: 'failed', hangupSide: 'system' });
      expect(await again.repos.contacts.get(org.id, contact!.id)).toMatchObject({ attempts: 1 });
    } finally {
      await again.close();
    }
  });
});
