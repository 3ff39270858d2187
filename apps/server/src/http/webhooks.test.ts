import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhooks as contract } from '@outdial/contracts';
import { testDatabases } from '@outdial/db/testing';
import { RETRY_SCHEDULE_MS, VirtualScheduler, WebhookDeliverer, type ContactRow } from '@outdial/engine';
import { consolePrincipal } from '../console-principal.ts';
import { DEMO_PROJECT } from '../demo.ts';
import { fetchTransport } from '../webhooks.ts';
import { endedCall, harness, type Harness } from './testing/harness.ts';

/** A receiver on 127.0.0.1 that answers what the test says and keeps every request. */
class Receiver {
  readonly got: { headers: IncomingHttpHeaders; body: string }[] = [];
  answer = 200;
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        this.got.push({ headers: req.headers, body });
        res.statusCode = this.answer;
        res.end(this.answer < 300 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const eventShape = Compile(contract.WebhookEvent);

describe.each(testDatabases())('webhooks on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agentId: string;
  let contacts: ContactRow[];
  const receiver = new Receiver();
  let secret = '';
  let webhookId = '';
  const api = async (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  const messages = async (q = '') =>
    (await api(admin, 'GET', `/webhook-messages?pageSize=100${q}`)).body['items'] as {
      id: string;
      eventType: string;
      status: string;
      attempts: number;
    }[];

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    await receiver.start();
    const org = (await h.platform.repos.users.firstOrganisation())!;
    agentId = (await h.platform.repos.users.list(org.id, { role: 'agent', limit: 1, offset: 0 })).items[0]!.id;
    const project = (await h.platform.repos.projects.getByCode(org.id, DEMO_PROJECT))!;
    contacts = (await h.platform.repos.contacts.list(org.id, { projectId: project.id, limit: 20, offset: 0 })).items;
  });
  afterAll(async () => {
    await receiver.close();
    await h?.close();
  });

  const deliverer = (scheduler: VirtualScheduler) =>
    new WebhookDeliverer({ repos: h.platform.repos, transport: fetchTransport, scheduler, owner: 'test-node' });

  it('POST /webhooks answers 201 with the secret, shown once; bad ones are refused', async () => {
    const created = await api(admin, 'POST', '/webhooks', {
      url: receiver.url,
      events: ['disposition.recorded', 'order.created', 'contact.closed', 'campaign.status_changed'],
    });
    expect(created.status).toBe(201);
    secret = created.body['secret'] as string;
    webhookId = created.body['id'] as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await api(admin, 'GET', `/webhooks/${webhookId}`)).body).not.toHaveProperty('secret');
    expect((await api(admin, 'GET', '/webhooks')).body['items']).toEqual([expect.not.objectContaining({ secret })]);
    expect(
      (await api(admin, 'POST', '/webhooks', { url: 'ftp://x.example/', events: ['contact.closed'] })).status,
    ).toBe(400);
    expect(
      (await api(admin, 'POST', '/webhooks', { url: 'https://u:p@x.example/', events: ['contact.closed'] })).status,
    ).toBe(400);
    expect((await api(admin, 'POST', '/webhooks', { url: receiver.url, events: ['contact.opened'] })).status).toBe(400);
    expect(
      (await api(await h.login('supervisor'), 'POST', '/webhooks', { url: receiver.url, events: ['contact.closed'] }))
        .status,
    ).toBe(403);
    const audit = JSON.stringify((await api(admin, 'GET', '/audit?action=webhook.created')).body);
    expect(audit).toContain(webhookId);
    expect(audit).not.toContain(secret.slice(6));
  });

  it('a disposition writes its messages with the change; a failed first try is retried within 10 s with the same webhook-id, signed each time', async () => {
    const c = contacts[0]!;
    const attempt = await endedCall(h, c, agentId);
    const agent = await h.login('agent01');
    expect((await api(agent, 'POST', `/attempts/${attempt}/disposition`, { code: 'wrong_number' })).status).toBe(201);
    const queued = await messages();
    expect(queued.map((m) => m.eventType).sort()).toEqual(['contact.closed', 'disposition.recorded']);
    expect(queued.every((m) => m.status === 'pending')).toBe(true);
    const sched = new VirtualScheduler(Date.now());
    const d = deliverer(sched);

    receiver.answer = 500;
    expect(await d.deliverDue()).toBe(2);
    expect(receiver.got).toHaveLength(2);
    sched.advance(RETRY_SCHEDULE_MS[0]! - 1);
    expect(await d.deliverDue()).toBe(0); // not yet
    receiver.answer = 200;
    sched.advance(1);
    expect(await d.deliverDue()).toBe(2);
    expect(receiver.got).toHaveLength(4);
    // Each message came twice with one webhook-id; both tries are signed and verify.
    const byId = new Map<string, { headers: IncomingHttpHeaders; body: string }[]>();
    for (const r of receiver.got)
      byId.set(String(r.headers['webhook-id']), [...(byId.get(String(r.headers['webhook-id'])) ?? []), r]);
    expect([...byId.values()].map((v) => v.length)).toEqual([2, 2]);
    const wh = new Webhook(secret);
    for (const [id, tries] of byId) {
      expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(tries[0]!.body).toBe(tries[1]!.body);
      expect(Number(tries[1]!.headers['webhook-timestamp']) - Number(tries[0]!.headers['webhook-timestamp'])).toBe(5);
      for (const t of tries) {
        const headers = t.headers as Record<string, string>;
        expect(wh.verify(t.body, headers)).toBeTruthy();
        expect(headers['webhook-signature']).toBe(
          wh.sign(id, new Date(Number(headers['webhook-timestamp']) * 1000), t.body),
        );
      }
      const event = JSON.parse(tries[0]!.body) as { type: string; data: Record<string, unknown> };
      expect(eventShape.Check(event), JSON.stringify([...eventShape.Errors(event)].slice(0, 2))).toBe(true);
      if (event.type === 'disposition.recorded')
        expect(event.data).toMatchObject({ attemptId: attempt, code: 'wrong_number', contactId: c.id });
    }
    const delivered = await messages('&status=delivered');
    expect(delivered).toHaveLength(2);
    const log = (await api(admin, 'GET', `/webhook-messages/${delivered[0]!.id}`)).body;
    expect(log).toMatchObject({
      status: 'delivered',
      attempts: 2,
      log: [
        { n: 1, statusCode: 500 },
        { n: 2, statusCode: 200 },
      ],
    });
    receiver.got.length = 0;
  });

  it('retries with a growing delay for more than 24 h, then the message is a dead letter; redelivered by hand, same id', async () => {
    const supervisor = await h.login('supervisor');
    const list = (await api(admin, 'GET', '/campaigns')).body['items'] as { id: string }[];
    expect((await api(supervisor, 'POST', `/campaigns/${list[0]!.id}/start`)).status).toBe(200);
    await api(supervisor, 'POST', `/campaigns/${list[0]!.id}/pause`);
    const pending = await messages('&status=pending');
    expect(pending.map((m) => m.eventType)).toEqual(['campaign.status_changed', 'campaign.status_changed']);
    const sched = new VirtualScheduler(Date.now());
    const d = deliverer(sched);
    receiver.answer = 503;
    const t0 = sched.now();
    await d.deliverDue();
    for (const wait of RETRY_SCHEDULE_MS) {
      sched.advance(wait);
      expect(await d.deliverDue()).toBe(2);
    }
    sched.advance(48 * 3_600_000);
    expect(await d.deliverDue()).toBe(0); // no try is left
    expect(receiver.got).toHaveLength(16);
    const times = receiver.got.map((r) => Number(r.headers['webhook-timestamp']) * 1000);
    expect(Math.max(...times) - t0).toBeGreaterThanOrEqual(24 * 3_600_000);
    const dead = await messages('&status=dead');
    expect(dead).toHaveLength(2);
    expect(dead.every((m) => m.attempts === 8)).toBe(true);

    receiver.answer = 200;
    receiver.got.length = 0;
    const again = await api(admin, 'POST', `/webhook-messages/${dead[0]!.id}/redeliver`);
    expect(again).toMatchObject({ status: 202, body: { status: 'pending', failures: 0 } });
    expect((await api(admin, 'POST', `/webhook-messages/${dead[0]!.id}/redeliver`)).status).toBe(409);
    expect(await d.deliverDue()).toBe(1);
    expect(receiver.got.map((r) => r.headers['webhook-id'])).toEqual([dead[0]!.id]);
    expect((await api(admin, 'GET', `/webhook-messages/${dead[0]!.id}`)).body).toMatchObject({
      status: 'delivered',
      attempts: 9,
    });
    expect((await messages('&status=dead')).map((m) => m.id)).toEqual([dead[1]!.id]);
    receiver.got.length = 0;
  });

  it('a deliverer that died holding a message loses it when its lease runs out; another delivers it, same id', async () => {
    await api(admin, 'PATCH', `/webhooks/${webhookId}`, { events: ['contact.closed'] });
    const c = contacts[1]!;
    const attempt = await endedCall(h, c, agentId);
    await api(await h.login('agent01'), 'POST', `/attempts/${attempt}/disposition`, { code: 'wrong_number' });
    // The dead node leased it and never answered.
    const sched = new VirtualScheduler(Date.now());
    const taken = await h.platform.repos.webhooks.lease('dead-node', new Date(sched.now()), 60_000, 10);
    expect(taken).toHaveLength(1);
    const d = deliverer(sched);
    expect(await d.deliverDue()).toBe(0);
    sched.advance(60_000);
    expect(await d.deliverDue()).toBe(1);
    expect(receiver.got.map((r) => r.headers['webhook-id'])).toEqual([taken[0]!.id]);
    // The dead node coming back to settle finds its lease gone: nothing is recorded twice.
    expect(
      await h.platform.repos.webhooks.settle(
        taken[0]!.id,
        'dead-node',
        { at: new Date(), statusCode: 200, error: null, durationMs: 1, response: '' },
        { delivered: true },
      ),
    ).toBe(false);
    expect((await api(admin, 'GET', `/webhook-messages/${taken[0]!.id}`)).body).toMatchObject({ attempts: 1 });
    receiver.got.length = 0;
  });

  it('contacts closed by the dialer (the closing rule) and imports are reported too, in the same shape', async () => {
    await api(admin, 'PATCH', `/webhooks/${webhookId}`, { events: ['contact.closed', 'import.finished'] });
    const c = contacts[3]!;
    for (let i = 0; i < 3; i++) await endedCall(h, c, agentId, new Date(Date.now() - (3 - i) * 3_600_000));
    expect((await api(admin, 'GET', `/contacts/${c.id}`)).body).toMatchObject({
      status: 'closed',
      closeReason: 'max_attempts',
    });
    const dir = mkdtempSync(join(tmpdir(), 'outdial-wh-'));
    writeFileSync(join(dir, 'list.csv'), '手机号,姓名,保单号\n13912345678,王伟,PX1\nnot-a-number,李娜,PX2\n');
    const admins = await consolePrincipal(h.platform.repos, 'admin');
    const { done } = await h.platform.services.imports.start(admins, {
      projectCode: DEMO_PROJECT,
      path: join(dir, 'list.csv'),
      filename: 'list.csv',
    });
    await done;
    const sched = new VirtualScheduler(Date.now());
    await deliverer(sched).deliverDue();
    const bodies = receiver.got.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    for (const b of bodies)
      expect(eventShape.Check(b), JSON.stringify([...eventShape.Errors(b)].slice(0, 2))).toBe(true);
    expect(bodies.find((b) => b.type === 'contact.closed')!.data).toMatchObject({
      contactId: c.id,
      project: DEMO_PROJECT,
      reason: 'max_attempts',
      externalId: c.externalId,
    });
    expect(bodies.find((b) => b.type === 'import.finished')!.data).toMatchObject({
      status: 'completed',
      imported: 1,
      invalid: 1,
    });
    receiver.got.length = 0;
  });

  it('a switched-off webhook gets nothing new; another organisation never sees the log', async () => {
    await api(admin, 'PATCH', `/webhooks/${webhookId}`, { active: false });
    const before = (await messages()).length;
    const attempt = await endedCall(h, contacts[2]!, agentId);
    await api(await h.login('agent01'), 'POST', `/attempts/${attempt}/disposition`, { code: 'wrong_number' });
    expect((await messages()).length).toBe(before);
    expect((await api(admin, 'GET', '/webhook-messages/msg_00000000000000000000000000000000')).status).toBe(404);
    expect((await api(admin, 'GET', '/webhook-messages/not-an-id')).status).toBe(400);
  });
});
