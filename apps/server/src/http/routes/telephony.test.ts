import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_PROJECT } from '../../demo.ts';
import { harness, type Harness } from '../testing/harness.ts';

describe.each(testDatabases())('telephony API on $name', (engine) => {
  let h: Harness;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), 'outdial-rec-'));
  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
  }, 120_000);
  afterAll(async () => h?.close());

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
    return res;
  };
  const audit = async (action: string) =>
    (
      await h.platform.repos.audit.list((await h.platform.repos.users.firstOrganisation())!.id, {
        action,
        limit: 50,
        offset: 0,
      })
    ).items;

  it('manages trunks: the password is write-only, names unique, every problem named, changes audited', async () => {
    const body = {
      name: 'main',
      uri: 'sip:127.0.0.1:5090',
      transport: 'udp',
      username: 'outdial',
      password: 's3cret',
      maxChannels: 30,
      callsPerSecond: 5,
    };
    const created = await call('POST', '/trunks', admin, body);
    expect(created.statusCode).toBe(201);
    const t = created.json<Record<string, unknown>>();
    expect(t).toMatchObject({ name: 'main', username: 'outdial', hasPassword: true, maxChannels: 30 });
    expect(JSON.stringify(t)).not.toContain('s3cret');
    expect((await call('POST', '/trunks', admin, body)).statusCode).toBe(409);
    const bad = await call('POST', '/trunks', admin, { ...body, name: 'x y', uri: 'http://nope', password: null });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.body).toContain('name:');
    expect(bad.body).toContain('uri:');
    expect(bad.body).toContain('username and password');
    const patched = await call('PATCH', `/trunks/${String(t['id'])}`, admin, { maxChannels: 10, password: 'n3w' });
    expect(patched.json()).toMatchObject({ maxChannels: 10, hasPassword: true });
    expect((await call('GET', '/trunks', await h.login('supervisor'))).json()).toHaveLength(1);
    expect((await call('DELETE', `/trunks/${String(t['id'])}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/trunks/${String(t['id'])}`, admin)).statusCode).toBe(404);
    expect((await audit('trunk.create')).length).toBe(1);
    const upd = await audit('trunk.update');
    expect(upd[0]!.details).toMatchObject({ fields: ['maxChannels'], password: true });
    expect(JSON.stringify(upd)).not.toContain('n3w');
    expect((await audit('trunk.delete')).length).toBe(1);
  });

  it('plays and downloads a recording to allowed roles only, audits each access, and removes it when retention ends', async () => {
    const p = h.platform;
    const org = (await p.repos.users.firstOrganisation())!;
    const project = await p.repos.projects.getByCode(org.id, DEMO_PROJECT);
    const [contact] = await h.platform.repos.db.query<{ id: string; phone: string }>(
      'SELECT id, phone FROM contacts WHERE project_id = $1 LIMIT 1',
      [project!.id],
    );
    const [attemptId] = await p.repos.attempts.openMany([
      {
        orgId: org.id,
        projectId: project!.id,
        campaignId: null,
        contactId: contact!.id,
        phone: contact!.phone,
        callerId: '+861088880000',
        dialMode: 'progressive',
        placedAt: new Date(),
      },
    ]);
    const wav = join(dir, 'call.wav');
    writeFileSync(wav, Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(100, 7)]));
    await p.services.telephony.recordingStored(attemptId!, wav, 4200);
    const info = await call('GET', `/attempts/${attemptId}/recording`, await h.login('qa'));
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({
      attemptId,
      durationMs: 4200,
      url: `/api/v1/attempts/${attemptId}/recording.wav`,
    });
    const play = await call('GET', `/attempts/${attemptId}/recording.wav`, await h.login('supervisor'));
    expect(play.statusCode).toBe(200);
    expect(play.headers['content-type']).toBe('audio/wav');
    expect(play.headers['content-disposition']).toMatch(/^inline/);
    expect(play.rawPayload.equals(readFileSync(wav))).toBe(true);
    const dl = await call('GET', `/attempts/${attemptId}/recording.wav?download=1`, admin);
    expect(dl.headers['content-disposition']).toMatch(/^attachment/);
    expect((await call('GET', `/attempts/${attemptId}/recording.wav`, await h.login('agent01'))).statusCode).toBe(403);
    expect((await audit('recording.play')).map((a) => a.subjectId)).toEqual([attemptId]);
    expect((await audit('recording.download')).map((a) => a.subjectId)).toEqual([attemptId]);
    // Retention: past its expiry the recording is gone from the API, and the sweep deletes the file.
    await p.repos.db.query(
      `UPDATE call_recordings SET expires_at = now() - interval '1 minute' WHERE attempt_id = $1`,
      [attemptId],
    );
    expect((await call('GET', `/attempts/${attemptId}/recording`, admin)).statusCode).toBe(404);
    expect(await p.services.telephony.sweepRecordings((f) => unlink(f))).toBe(1);
    expect(existsSync(wav)).toBe(false);
  });

  it('shows each caller ID’s health', async () => {
    const res = await call('GET', `/caller-ids/health?project=${DEMO_PROJECT}&days=7`, admin);
    expect(res.statusCode).toBe(200);
    const rows = res.json<{ callerId: string; dials: number; answerRate: number }[]>();
    expect(rows.find((r) => r.callerId === '+861088880000')).toMatchObject({ dials: 1, answerRate: 0 });
    expect((await call('GET', '/caller-ids/health?project=NOPE', admin)).statusCode).toBe(404);
    expect((await call('GET', '/caller-ids/health', await h.login('agent01'))).statusCode).toBe(403);
  });
});
