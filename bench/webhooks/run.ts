/**
 * Webhook outbox benchmark: how fast events are written to the outbox and delivered, signed, to
 * a local receiver that answers 200, and how soon after its write a message arrives.
 *
 *   npm run bench:webhooks -- [--events 5000] [--webhooks 2] [--rate 0]   (PGlite in memory; --rate: events/s)
 *   DATABASE_URL=postgres://… npm run bench:webhooks               (PostgreSQL, a scratch schema)
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrate, openPglite, openPostgres, Repositories } from '@outdial/db';
import { outboxEvent, realScheduler, WebhookDeliverer, newSecret } from '@outdial/engine';
import { fetchTransport } from '../../apps/server/src/webhooks.ts';

const args = process.argv.slice(2);
const num = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const EVENTS = num('events', 5000);
const HOOKS = num('webhooks', 2);
/** Events per second written (0: as fast as they can be). */
const RATE = num('rate', 0);

const url = process.env['DATABASE_URL'];
const schema = `bench_${randomBytes(4).toString('hex')}`;
const db = url ? await openPostgres(url, { schema, max: 8 }) : await openPglite();
await migrate(db);
const repos = new Repositories(db);
const orgId = await repos.users.createOrganisation('bench');

const arrived = new Map<string, number>();
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    arrived.set(String(req.headers['webhook-id']), performance.now());
    res.end('ok');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
for (let i = 0; i < HOOKS; i++)
  await repos.webhooks.create({
    orgId,
    url: hook,
    events: ['contact.closed'],
    secret: newSecret(),
    description: '',
    createdBy: null,
  });

const deliverer = new WebhookDeliverer(
  { repos, transport: fetchTransport, scheduler: realScheduler, owner: 'bench' },
  { pollMs: 50, batch: 100, concurrency: 16 },
);
deliverer.start();

// Events written one per transaction, as use cases write them, while the deliverer runs.
const written = new Map<string, number>();
const t0 = performance.now();
for (let i = 0; i < EVENTS; i++) {
  const at = new Date();
  await repos.transaction((tx) =>
    tx.webhooks.enqueue([
      outboxEvent(orgId, 'contact.closed', at, {
        contactId: `c${i}`,
        externalId: null,
        project: 'B',
        reason: 'success',
        closedAt: at.toISOString(),
      }),
    ]),
  );
  written.set(`c${i}`, performance.now());
  if (RATE > 0) {
    const due = t0 + ((i + 1) * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
const tWritten = performance.now();
const expected = EVENTS * HOOKS;
while (arrived.size < expected) await new Promise((r) => setTimeout(r, 20));
const tDone = performance.now();
await deliverer.stop();

// Latency: from the write's commit to its arrival, per message (by the id's event).
const rows = await db.query<{ id: string; body: string }>('SELECT id, body FROM webhook_messages');
const lat = rows
  .map((r) => arrived.get(r.id)! - written.get((JSON.parse(r.body) as { data: { contactId: string } }).data.contactId)!)
  .sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(0);
console.log(
  JSON.stringify({
    database: db.kind,
    events: EVENTS,
    webhooks: HOOKS,
    rate: RATE || 'max',
    messages: expected,
    writesPerSecond: Math.round(EVENTS / ((tWritten - t0) / 1000)),
    deliveriesPerSecond: Math.round(expected / ((tDone - t0) / 1000)),
    latencyMs: {
      p50: Number(pct(50)),
      p95: Number(pct(95)),
      p99: Number(pct(99)),
      max: Number(lat.at(-1)!.toFixed(0)),
    },
  }),
);
receiver.close();
if (url) await db.exec(`DROP SCHEMA "${schema}" CASCADE`);
await db.close();
