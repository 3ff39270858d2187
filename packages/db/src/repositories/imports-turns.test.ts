import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database.ts';
import { migrate } from '../migrate.ts';
import { openPglite } from '../pglite.ts';
import { Repositories } from '../repositories.ts';
import { seedProject, stagedContacts } from '../testing.ts';

/**
 * On PGlite every statement runs on the server's own thread, so a big import is a long run of
 * statements on the event loop's thread. Between two of them the loop must read sockets: a
 * request that arrives mid-import is answered before the import ends, not after it. (Yielding
 * with setTimeout(0) between statements did not guarantee that: with two batches in flight a
 * 1M-row import kept /healthz — and requests that touch no database — waiting 13–26 s in
 * bench/import/healthz.ts, and this test fails; yielding with setImmediate, which runs after the
 * loop has polled for I/O, passes both.)
 */
describe('PGlite import staging shares the event loop', () => {
  let db: Database;
  let repos: Repositories;
  let server: Server;
  let orgId: string;
  let projectId: string;

  beforeAll(async () => {
    db = await openPglite();
    await migrate(db);
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Org A');
    projectId = await seedProject(repos, orgId, 'TURNS');
    server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    server?.close();
    await db?.close();
  });

  it('answers requests between the statements of a long staging run', async () => {
    const imp = await repos.imports.create({
      orgId,
      projectId,
      filename: 'big.csv',
      totalBytes: null,
      createdBy: null,
    });
    const writer = repos.imports.writer(orgId, projectId, imp.id, new Date('2026-12-01T00:00:00Z'));
    // 12,000 rows: 48 staging statements, each its own turn.
    let stagingDone = false;
    // Two batches in flight, as the import pipeline keeps them.
    const writing = Promise.all([
      writer.write(stagedContacts(6_000, '+86137')),
      writer.write(stagedContacts(6_000, '+86139', (i) => ({ rowNumber: 6_001 + i }))),
    ]).then(() => {
      stagingDone = true;
    });
    const { port } = server.address() as AddressInfo;
    const answers: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (res) => {
          res.resume();
          res.on('end', () => {
            answers.push(!stagingDone);
            resolve();
          });
        }).on('error', reject);
      });
    }
    await writing;
    expect(stagingDone).toBe(true);
    // Every request was answered while the staging still ran.
    expect(answers).toEqual([true, true, true]);
    const [counted] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [
      imp.id,
    ]);
    expect(counted?.n).toBe(12_000);
  });
});
