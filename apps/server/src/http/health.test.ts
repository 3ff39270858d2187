import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '@outdial/db/testing';
import { buildApp } from './app.ts';
import { harness, type Harness } from './testing/harness.ts';
import { memoryLogger } from './testing/log.ts';

describe('GET /healthz', () => {
  let h: Harness;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    h = await harness(testDatabases()[0]!);
    const { config, services, repos } = h.platform;
    app = await buildApp(
      { config, services, repos, background: h.background },
      { logger: memoryLogger(lines).child({ component: 'http' }) },
    );
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('answers ok while the database answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: 'pglite' });
  });

  it("does not echo the database's error to the caller: a generic status, the cause in the log", async () => {
    const db = h.platform.repos.db;
    const query = db.query.bind(db);
    db.query = () => Promise.reject(new Error('password authentication failed for user "outdial" (10.0.0.5:5432)'));
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', database: 'pglite' });
      expect(res.body).not.toMatch(/password|10\.0\.0\.5|outdial/);
    } finally {
      db.query = query;
    }
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['level'] === 50);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ component: 'http', msg: 'health check: the database does not answer' });
    expect((logged[0]!['err'] as { message: string; stack: string }).stack).toMatch(/password authentication failed/);
  });
});
