import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TestDatabase } from '@outdial/db/testing';
import { loadConfig, type Config } from '../../config.ts';
import { openPlatform, type Platform } from '../../platform.ts';
import { seedDemo } from '../../demo.ts';
import { buildApp } from '../app.ts';

export const DEMO_PASSWORD = 'demo-pass-123';

export interface Harness {
  app: FastifyInstance;
  platform: Platform;
  config: Readonly<Config>;
  background: Set<Promise<unknown>>;
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** A seeded demo platform on the given test database, driven through `inject()`. */
export async function harness(engine: TestDatabase, env: Record<string, string> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'outdial-test-'));
  const config = loadConfig(
    { OUTDIAL_DATA_DIR: dir, OUTDIAL_DEMO_PASSWORD: DEMO_PASSWORD, OUTDIAL_LOG_LEVEL: 'silent', ...env },
    dir,
  );
  const { db, cleanup } = await engine.open();
  const platform = await openPlatform(config, { db });
  await seedDemo(platform);
  const background = new Set<Promise<unknown>>();
  const app = await buildApp({ config, services: platform.services, repos: platform.repos, background });
  return {
    app,
    platform,
    config,
    background,
    async login(username, password = DEMO_PASSWORD) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await app.close();
      await Promise.allSettled([...background]);
      await platform.close();
      await cleanup();
    },
  };
}

/**
 * A call to `contact` that reached `agentId` and ended a minute after it was placed, as the
 * dialer would have recorded it (tests of what comes after a call: scripts, dispositions, orders).
 */
export async function endedCall(
  h: Harness,
  contact: { id: string; projectId: string; phone: string },
  agentId: string,
  at = new Date(),
): Promise<string> {
  const org = (await h.platform.repos.users.firstOrganisation())!;
  const s = h.platform.services.attempts;
  const id = await s.placed({
    orgId: org.id,
    projectId: contact.projectId,
    campaignId: null,
    contactId: contact.id,
    phone: contact.phone,
    callerId: null,
    dialMode: 'manual',
    placedAt: new Date(at.getTime() - 60_000),
  });
  const answeredAt = new Date(at.getTime() - 50_000);
  const connectedAt = new Date(at.getTime() - 49_000);
  await s.progress(id, { answeredAt, connectedAt, agentUserId: agentId });
  await s.ended(id, {
    outcome: 'person',
    endedAt: at,
    answeredAt,
    connectedAt,
    agentUserId: agentId,
    hangupSide: 'customer',
    sipCause: 16,
    amdResult: null,
    abandoned: false,
  });
  return id;
}

/** A multipart/form-data body with one file and optional text fields. */
export function multipart(
  file: { name: string; content: Buffer; type?: string },
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----outdialtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`,
    ),
  );
  parts.push(file.content, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Polls an import until it completes or fails. */
export async function waitForImport(
  h: Pick<Harness, 'app'>,
  token: string,
  id: string,
): Promise<{ id: string; status: string; error: { code: string; message: string } | null } & Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const imp = res.json<{ id: string; status: string; error: { code: string; message: string } | null }>();
    if (imp.status === 'completed' || imp.status === 'failed') return imp;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('import did not finish');
}
